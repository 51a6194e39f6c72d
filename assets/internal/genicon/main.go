// Command genicon draws Lunas's application icon (assets/icon.png): an indigo
// rounded square, the colour of batik tulis, carrying a white tick for
// "lunas" (paid in full). Run from the repository root: go run ./assets/internal/genicon
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 512

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	bg := color.NRGBA{R: 0x1f, G: 0x3a, B: 0x7a, A: 0xff}
	gold := color.NRGBA{R: 0xe8, G: 0xb0, B: 0x3c, A: 0xff}
	white := color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	const r = 96.0 // corner radius
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			a := coverage(float64(x)+0.5, float64(y)+0.5, r)
			if a <= 0 {
				continue
			}
			c := bg
			// A thin gold band near the bottom, like a kain border.
			if y >= 404 && y < 420 {
				c = gold
			}
			c.A = uint8(a * 255)
			img.SetNRGBA(x, y, c)
		}
	}
	// The tick: two thick strokes, anti-aliased by distance to the segments.
	p1, p2, p3 := [2]float64{140, 262}, [2]float64{222, 344}, [2]float64{376, 170}
	const half = 30.0
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			d := math.Min(segDist(px, py, p1, p2), segDist(px, py, p2, p3))
			a := math.Max(0, math.Min(1, half-d+0.5))
			if a <= 0 {
				continue
			}
			under := img.NRGBAAt(x, y)
			img.SetNRGBA(x, y, blend(under, white, a))
		}
	}
	f, err := os.Create("assets/icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// coverage is 1 inside the rounded square, 0 outside, and fractional on the edge.
func coverage(x, y, r float64) float64 {
	const m = 16.0 // margin
	lo, hi := m+r, size-m-r
	cx := math.Max(lo, math.Min(hi, x))
	cy := math.Max(lo, math.Min(hi, y))
	d := math.Hypot(x-cx, y-cy)
	return math.Max(0, math.Min(1, r-d+0.5))
}

func segDist(px, py float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((px-a[0])*dx + (py-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(px-(a[0]+t*dx), py-(a[1]+t*dy))
}

func blend(under, over color.NRGBA, a float64) color.NRGBA {
	mix := func(u, o uint8) uint8 { return uint8(float64(u)*(1-a) + float64(o)*a) }
	return color.NRGBA{R: mix(under.R, over.R), G: mix(under.G, over.G), B: mix(under.B, over.B),
		A: uint8(math.Max(float64(under.A), a*255))}
}
