package convert

import "image/color"

// plotColor returns the i-th colour of the report plots' palette.
func plotColor(i int) color.Color {
	palette := []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
		color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey
		color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}, // light grey fill
	}
	return palette[i%len(palette)]
}
