"""``vtexbridge serve``: the HTTP side of vtexbridge (hook receiver, actions API, health; later the
marketplace protocols, the dashboard and ``/metrics``). Build the app with
:func:`vtexbridge.web.app.create_app`."""
