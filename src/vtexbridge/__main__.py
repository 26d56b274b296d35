from vtexbridge.cli import main

main()
