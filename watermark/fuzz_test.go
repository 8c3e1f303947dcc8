package watermark

import (
	"image/color"
	"testing"
)

// FuzzIdentify feeds Identify leaked copies as an attacker might shape
// them: it must never panic, and never report a mark the key did not make.
func FuzzIdentify(f *testing.F) {
	w := testWatermarker(f)
	m := testMark()
	page, err := w.RenderHTML(KindText, "a.txt", []byte("one two\n\nthree four\n"), m)
	if err != nil {
		f.Fatal(err)
	}
	pdf, err := w.RenderPDF(KindText, "a.txt", []byte("one two\n"), m)
	if err != nil {
		f.Fatal(err)
	}
	pngImg, err := w.StampImage(uniformPNG(f, 120, 40, color.NRGBA{9, 9, 9, 255}), m)
	if err != nil {
		f.Fatal(err)
	}
	jpg, err := w.StampImage(toJPEG(f, uniformPNG(f, 64, 64, color.NRGBA{9, 9, 9, 255})), m)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{page, pdf, pngImg, jpg, jpg[:40], pdf[:200], []byte("wdnmark:AAAA"), []byte("\u200b\u200c"), pngClaiming(1, 1)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		found, _ := w.Identify(data)
		for _, fd := range found {
			if fd.ShareID != m.ShareID || fd.ViewerTag != w.ViewerTag(m.Email) || !fd.Time.Equal(m.Time) {
				t.Fatalf("Identify reported a mark the key never made: %+v", fd)
			}
		}
	})
}
