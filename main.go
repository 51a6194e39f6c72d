// Command lunas is the Lunas desktop application and its subcommands.
package main

import (
	"os"

	"lunas/app"
	_ "lunas/locale" // before Fyne initialises: no "Error parsing user locale C"
)

func main() { os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr)) }
