package app

import (
	"strings"

	"github.com/boombuler/barcode/qr"
)

// terminalQR draws content as a QR code with half-block characters, two
// module rows per line, with a quiet zone of two modules. Light modules
// are drawn (█, ▀, ▄) and dark ones left blank, which reads right on the
// usual dark terminal; ansi paints it white on black so it reads right on
// any terminal theme.
func terminalQR(content string, ansi bool) (string, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	const quiet = 2
	n := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r < 0x8000
	}
	var b strings.Builder
	size := n + 2*quiet
	for y := 0; y < size; y += 2 {
		if ansi {
			b.WriteString("\x1b[97;40m")
		}
		for x := 0; x < size; x++ {
			top, bottom := !dark(x, y), y+1 < size && !dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		if ansi {
			b.WriteString("\x1b[0m")
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
