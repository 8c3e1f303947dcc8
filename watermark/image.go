package watermark

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
)

// MaxPixels bounds the images StampImage and Identify decode: a small file
// can claim a huge canvas (a decompression bomb), and a 40-megapixel RGBA
// canvas is already 160 MB.
const MaxPixels = 40_000_000

// jpegQuality is the quality of re-encoded JPEGs: high, because the copy is
// a preview someone must read, and each generation loses detail.
const jpegQuality = 92

// Formats StampImage and Identify recognise.
const (
	formatPNG  = "png"
	formatJPEG = "jpeg"
)

func sniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return formatJPEG
	}
	return ""
}

// decodeBounded decodes a PNG or JPEG after checking its declared size.
func decodeBounded(b []byte) (*image.NRGBA, string, error) {
	format := sniffImage(b)
	if format == "" {
		return nil, "", errors.New("watermark: not a PNG or JPEG image")
	}
	var cfg image.Config
	var err error
	if format == formatPNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
	}
	if err != nil {
		return nil, "", fmt.Errorf("watermark: read %s header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, "", fmt.Errorf("watermark: %dx%d image is over the %d-pixel limit", cfg.Width, cfg.Height, MaxPixels)
	}
	var src image.Image
	if format == formatPNG {
		src, err = png.Decode(bytes.NewReader(b))
	} else {
		src, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, "", fmt.Errorf("watermark: decode %s: %w", format, err)
	}
	if n, ok := src.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n, format, nil
	}
	dst := image.NewNRGBA(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	return dst, format, nil
}

// StampImage draws the visible mark tiled across a PNG or JPEG and
// re-encodes it in the same format. A PNG also carries the forensic mark in
// the least significant bits of every row; a JPEG carries it only in a
// comment segment, which any re-save drops (JPEG compression would erase
// pixel-level bits, and a transform-domain mark is not implemented).
func (w *Watermarker) StampImage(img []byte, m Mark) ([]byte, error) {
	payload, err := w.seal(m)
	if err != nil {
		return nil, err
	}
	dst, format, err := decodeBounded(img)
	if err != nil {
		return nil, err
	}
	b := dst.Bounds()
	// The text scales with the shorter side: legible on a phone photo, not
	// a smear across a screenshot.
	size := math.Max(10, math.Min(40, float64(min(b.Dx(), b.Dy()))/36))
	mask, err := tileMask(m.Line(), size)
	if err != nil {
		return nil, err
	}
	overlay(dst, mask)

	var out bytes.Buffer
	if format == formatPNG {
		embedLSB(dst, payload)
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		if err := enc.Encode(&out, dst); err != nil {
			return nil, fmt.Errorf("watermark: encode png: %w", err)
		}
		return out.Bytes(), nil
	}
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, fmt.Errorf("watermark: encode jpeg: %w", err)
	}
	return withJPEGComment(out.Bytes(), jpegMarkPrefix+base64.RawURLEncoding.EncodeToString(payload)), nil
}

// The LSB frame: a magic, a length byte, the payload. It is written again
// and again along every row, starting at the row's first pixel, in the low
// bit of red, green and blue; a reader searches each row at every bit offset,
// so a crop that keeps a stretch of a row as wide as one frame (about 100
// pixels) keeps the mark. Resizing, re-compression as JPEG, or any filter
// that touches low bits destroys it.
const lsbMagic = 0x574d // "WM"

func lsbFrame(payload []byte) []byte {
	f := binary.BigEndian.AppendUint16(nil, lsbMagic)
	f = append(f, byte(len(payload)))
	return append(f, payload...)
}

func embedLSB(img *image.NRGBA, payload []byte) {
	frame := lsbFrame(payload)
	nbits := len(frame) * 8
	b := img.Bounds()
	if b.Dx()*3 < nbits {
		return // too narrow to hold a frame in a row; see the package docs
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		bit := 0
		for x := 0; x < b.Dx(); x++ {
			for c := 0; c < 3; c++ {
				v := frame[bit/8] >> (7 - bit%8) & 1
				p := &row[x*4+c]
				*p = *p&^1 | v
				if bit++; bit == nbits {
					bit = 0
				}
			}
		}
	}
}

// identifyLSB searches every row of img for LSB frames. It stops after a
// few verified copies: more of the same tell nothing new.
func (c *collector) identifyLSB(img *image.NRGBA) {
	b := img.Bounds()
	bits := make([]byte, b.Dx()*3)
	hits, candidates := 0, 0
	for y := b.Min.Y; y < b.Max.Y && hits < 16 && candidates < maxCandidates; y++ {
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		for x := 0; x < b.Dx(); x++ {
			bits[x*3], bits[x*3+1], bits[x*3+2] = row[x*4]&1, row[x*4+1]&1, row[x*4+2]&1
		}
		for i := 0; i+24 <= len(bits); i++ {
			if readBits(bits[i:], 16) != lsbMagic {
				continue
			}
			n := readBits(bits[i+16:], 8)
			if n < minPayload || n > maxPayload || i+24+n*8 > len(bits) {
				continue
			}
			candidates++
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(readBits(bits[i+24+j*8:], 8))
			}
			if c.add(p, "png least significant bits") {
				hits++
				i += 24 + n*8 - 1
			}
		}
	}
}

func readBits(bits []byte, n int) int {
	v := 0
	for i := 0; i < n; i++ {
		v = v<<1 | int(bits[i])
	}
	return v
}

// jpegMarkPrefix starts the comment that carries the mark in a JPEG.
const jpegMarkPrefix = "warden-mark:"

// withJPEGComment inserts a COM segment right after the SOI marker.
func withJPEGComment(jpg []byte, comment string) []byte {
	seg := []byte{0xff, 0xfe, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(comment)+2))
	seg = append(seg, comment...)
	out := make([]byte, 0, len(jpg)+len(seg))
	out = append(out, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// jpegComments returns the COM segments of a JPEG, walking the markers from
// SOI to the start of the scan. It never reads past the end of jpg.
func jpegComments(jpg []byte) []string {
	var out []string
	i := 2
	for i+4 <= len(jpg) && len(out) < maxCandidates {
		if jpg[i] != 0xff {
			return out
		}
		marker := jpg[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(jpg[i+2:]))
		if n < 2 || i+2+n > len(jpg) {
			return out
		}
		if marker == 0xfe {
			out = append(out, string(jpg[i+4:i+2+n]))
		}
		if marker == 0xda || marker == 0xd9 { // start of scan or end of image
			return out
		}
		i += 2 + n
	}
	return out
}

func (c *collector) identifyImage(data []byte) error {
	if sniffImage(data) == formatJPEG {
		for _, com := range jpegComments(data) {
			if p, ok := bytes.CutPrefix([]byte(com), []byte(jpegMarkPrefix)); ok {
				if raw, err := base64.RawURLEncoding.DecodeString(string(p)); err == nil {
					c.add(raw, "jpeg comment")
				}
			}
		}
		// JPEG pixels cannot hold LSB marks; decoding them would be wasted.
		return nil
	}
	img, _, err := decodeBounded(data)
	if err != nil {
		return err
	}
	c.identifyLSB(img)
	return nil
}
