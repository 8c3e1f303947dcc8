package watermark

import (
	"bytes"
	"image/color"
	"strings"
	"testing"
)

// The benchmarks behind the figures in docs/data-plane.md:
//
//	go test ./watermark -run '^$' -bench . -benchtime 5x

func BenchmarkStampPDF20Pages(b *testing.B) {
	w := testWatermarker(b)
	plain, err := layoutPDF(strings.Repeat("a line of an existing twenty-page document, about sixty bytes\n", 67*20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := w.StampPDF(plain, testMark()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStampPNG4MP(b *testing.B) {
	w := testWatermarker(b)
	img := uniformPNG(b, 2400, 1700, color.NRGBA{200, 190, 180, 255})
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := w.StampImage(img, testMark()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIdentifyPNG4MP(b *testing.B) {
	w := testWatermarker(b)
	img, err := w.StampImage(uniformPNG(b, 2400, 1700, color.NRGBA{200, 190, 180, 255}), testMark())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if f, err := w.Identify(img); err != nil || len(f) != 1 {
			b.Fatal(f, err)
		}
	}
}

// megabyteText is 1 MB of prose-like text in paragraphs.
func megabyteText() []byte {
	var buf bytes.Buffer
	for buf.Len() < 1<<20 {
		buf.WriteString(prose)
	}
	return buf.Bytes()[:1<<20]
}

func BenchmarkRenderHTML1MB(b *testing.B) {
	w := testWatermarker(b)
	text := megabyteText()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := w.RenderHTML(KindText, "big.txt", text, testMark()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderPDF1MB(b *testing.B) {
	w := testWatermarker(b)
	text := megabyteText()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := w.RenderPDF(KindText, "big.txt", text, testMark()); err != nil {
			b.Fatal(err)
		}
	}
}
