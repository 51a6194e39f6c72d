package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme choices stored in the settings.
const (
	ThemeSystem = ""
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// lunasTheme is fyne's default theme in Lunas's indigo, with an optional
// fixed light or dark variant.
type lunasTheme struct {
	variant string
}

var _ fyne.Theme = (*lunasTheme)(nil)

var (
	indigo      = color.NRGBA{R: 0x1f, G: 0x3a, B: 0x7a, A: 0xff}
	indigoLight = color.NRGBA{R: 0x6f, G: 0x8f, B: 0xdf, A: 0xff}
	okGreen     = color.NRGBA{R: 0x2e, G: 0x8b, B: 0x57, A: 0xff}
	warnAmber   = color.NRGBA{R: 0xe8, G: 0xb0, B: 0x3c, A: 0xff}
)

func (t *lunasTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.variant {
	case ThemeLight:
		v = theme.VariantLight
	case ThemeDark:
		v = theme.VariantDark
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		if v == theme.VariantDark {
			return indigoLight
		}
		return indigo
	case theme.ColorNameSuccess:
		return okGreen
	case theme.ColorNameWarning:
		return warnAmber
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t *lunasTheme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (t *lunasTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (t *lunasTheme) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }
