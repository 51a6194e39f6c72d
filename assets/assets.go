// Package assets bundles Lunas's icon and translations into the binary, so
// that `go run .` and a packaged build look the same.
package assets

import (
	"embed"
	_ "embed" // the icon and translations are embedded
)

//go:embed icon.png
var iconPNG []byte

// Translations holds translations/<lang>.json for fyne's lang package.
//
//go:embed translations/*.json
var Translations embed.FS

// IconPNG returns the application icon as PNG bytes.
func IconPNG() []byte { return iconPNG }
