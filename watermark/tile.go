package watermark

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"
)

// angle is the slant of the visible mark: diagonal enough that a crop of a
// text column still cuts through it, shallow enough to stay readable.
const angle = -30 * math.Pi / 180

// textMask draws line at size points (1 pt = 1 px) rotated by angle, as an
// alpha mask just large enough to hold it.
func textMask(line string, size float64) (*image.Alpha, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("watermark: parse font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("watermark: font face: %w", err)
	}
	defer face.Close()
	met := face.Metrics()
	pad := int(size / 2)
	w := font.MeasureString(face, line).Ceil() + 2*pad
	h := (met.Ascent + met.Descent).Ceil() + 2*pad
	flat := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: flat, Src: image.Opaque, Face: face, Dot: fixed.P(pad, pad+met.Ascent.Ceil())}
	d.DrawString(line)

	// Rotate about the centre into a box that holds the rotated rectangle.
	sin, cos := math.Sincos(angle)
	rw := int(math.Ceil(math.Abs(float64(w)*cos) + math.Abs(float64(h)*sin)))
	rh := int(math.Ceil(math.Abs(float64(w)*sin) + math.Abs(float64(h)*cos)))
	rot := image.NewAlpha(image.Rect(0, 0, rw, rh))
	cx, cy := float64(w)/2, float64(h)/2
	dx, dy := float64(rw)/2, float64(rh)/2
	// Transform takes the matrix mapping source to destination coordinates.
	m := f64.Aff3{cos, -sin, dx - cos*cx + sin*cy, sin, cos, dy - sin*cx - cos*cy}
	draw.BiLinear.Transform(rot, m, flat, flat.Bounds(), draw.Src, nil)
	return rot, nil
}

// tileMask returns one tile of the repeated mark, meant to be repeated
// edge to edge: the rotated line at the centre and again centred on each
// corner, so the copies form staggered diagonal rows and no band of the
// page is bare.
func tileMask(line string, size float64) (*image.Alpha, error) {
	m, err := textMask(line, size)
	if err != nil {
		return nil, err
	}
	b := m.Bounds()
	gap := int(size * 2)
	tw, th := b.Dx()+gap, b.Dy()+gap
	t := image.NewAlpha(image.Rect(0, 0, tw, th))
	centre := image.Pt((tw-b.Dx())/2, (th-b.Dy())/2)
	for _, off := range []image.Point{{}, {-tw / 2, -th / 2}, {tw / 2, -th / 2}, {-tw / 2, th / 2}, {tw / 2, th / 2}} {
		at := centre.Add(off)
		draw.Draw(t, b.Add(at), m, b.Min, draw.Over)
	}
	return t, nil
}

// overlay tiles mask over dst in two inks a pixel apart, dark and light, so
// the text reads on light and dark backgrounds alike.
func overlay(dst draw.Image, mask *image.Alpha) {
	dark := image.NewUniform(color.NRGBA{0, 0, 0, 90})
	light := image.NewUniform(color.NRGBA{255, 255, 255, 90})
	b := dst.Bounds()
	tb := mask.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += tb.Dy() {
		for x := b.Min.X; x < b.Max.X; x += tb.Dx() {
			for _, p := range []struct {
				ink   image.Image
				shift int
			}{{dark, 0}, {light, 1}} {
				r := image.Rect(x, y, x+tb.Dx(), y+tb.Dy()).Add(image.Pt(p.shift, p.shift))
				c := r.Intersect(b)
				draw.DrawMask(dst, c, p.ink, image.Point{}, mask, tb.Min.Add(c.Min.Sub(r.Min)), draw.Over)
			}
		}
	}
}

// tilePNG is the background tile of an HTML preview: the mark in grey on
// transparency, encoded as PNG.
func tilePNG(line string) ([]byte, error) {
	mask, err := tileMask(line, 16)
	if err != nil {
		return nil, err
	}
	img := image.NewNRGBA(mask.Bounds())
	draw.DrawMask(img, img.Bounds(), image.NewUniform(color.NRGBA{120, 120, 120, 56}), image.Point{}, mask, mask.Bounds().Min, draw.Over)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("watermark: encode tile: %w", err)
	}
	return buf.Bytes(), nil
}
