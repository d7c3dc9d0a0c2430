from apforms.cli import main

main()
