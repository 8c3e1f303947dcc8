package watermark

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"golang.org/x/image/draw"
)

// TestSurvival measures which transformations of a served copy the forensic
// mark survives. The expectations are the measured results, written up in
// docs/data-plane.md; a change in either direction should update the docs.
func TestSurvival(t *testing.T) {
	w := testWatermarker(t)
	m := testMark()
	longProse := strings.Repeat(prose, 4)

	htmlPage, err := w.RenderHTML(KindText, "report.txt", []byte(longProse), m)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := w.RenderPDF(KindText, "report.txt", []byte(longProse), m)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := layoutPDF(longProse)
	if err != nil {
		t.Fatal(err)
	}
	stamped, err := w.StampPDF(plain, m)
	if err != nil {
		t.Fatal(err)
	}
	photo := uniformPNG(t, 1200, 800, color.NRGBA{200, 180, 160, 255})
	stampedPNG, err := w.StampImage(photo, m)
	if err != nil {
		t.Fatal(err)
	}
	stampedJPEG, err := w.StampImage(toJPEG(t, photo), m)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		transform func(t *testing.T) []byte
		survives  bool
	}{
		{"HTML: copy one paragraph of the rendered text", func(t *testing.T) []byte {
			paras := strings.Split(visibleText(htmlPage), "\n\n")
			return []byte(paras[5])
		}, true},
		{"HTML: copy 600 visible characters from the middle of a paragraph", func(t *testing.T) []byte {
			text := visibleText(htmlPage)
			return copyVisible(text[strings.Index(text, "driven by the enterprise"):], 600)
		}, true},
		{"HTML: copy one sentence (under 400 bytes, no mark inside)", func(t *testing.T) []byte {
			text := visibleText(htmlPage)
			i := strings.Index(text, "Costs rose")
			return []byte(text[i : i+120])
		}, false},
		{"HTML: paste through a filter that drops zero-width characters", func(t *testing.T) []byte {
			return []byte(strings.Map(func(r rune) rune {
				if zwSymbol(r) >= 0 {
					return -1
				}
				return r
			}, visibleText(htmlPage)))
		}, false},
		{"PDF (rendered): copy all text out of the viewer (content streams)", func(t *testing.T) []byte {
			return []byte(strings.Join(pageTextStreams(t, rendered, 1), "\n"))
		}, true},
		{"PDF: re-save through pdfcpu optimize", func(t *testing.T) []byte {
			var out bytes.Buffer
			conf := pdfConfig()
			if err := api.Optimize(bytes.NewReader(stamped), &out, conf); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}, true},
		{"PDF: remove the Info properties and XMP (pdfcpu properties remove)", func(t *testing.T) []byte {
			var out bytes.Buffer
			if err := api.RemoveProperties(bytes.NewReader(stamped), &out, nil, pdfConfig()); err != nil {
				t.Fatal(err)
			}
			found, _ := w.Identify(out.Bytes())
			for _, f := range found {
				for _, where := range f.Where {
					if where != "pdf page piece info" && where != "pdf page text" {
						t.Errorf("after removing properties the mark is still in %s", where)
					}
				}
			}
			return out.Bytes()
		}, true},
		{"PDF: remove the visible watermark (pdfcpu watermark remove)", func(t *testing.T) []byte {
			var out bytes.Buffer
			if err := api.RemoveWatermarks(bytes.NewReader(stamped), &out, nil, pdfConfig()); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.Join(pageTextStreams(t, out.Bytes(), 1), ""), "share s_abc123") {
				t.Error("visible watermark still drawn after removal")
			}
			return out.Bytes()
		}, true},
		{"PNG: decode and re-encode (same pixels)", func(t *testing.T) []byte {
			img, _ := png.Decode(bytes.NewReader(stampedPNG))
			var out bytes.Buffer
			png.Encode(&out, img)
			return out.Bytes()
		}, true},
		{"PNG: crop to 300x200 at (137,91)", func(t *testing.T) []byte {
			return reencodePNG(t, crop(t, stampedPNG, image.Rect(137, 91, 437, 291)))
		}, true},
		{"PNG: crop to 80x80 (narrower than one frame)", func(t *testing.T) []byte {
			return reencodePNG(t, crop(t, stampedPNG, image.Rect(500, 500, 580, 580)))
		}, false},
		{"PNG: resize to 50%", func(t *testing.T) []byte {
			src := crop(t, stampedPNG, image.Rect(0, 0, 1200, 800))
			dst := image.NewNRGBA(image.Rect(0, 0, 600, 400))
			draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
			return reencodePNG(t, dst)
		}, false},
		{"PNG: convert to JPEG (quality 95)", func(t *testing.T) []byte {
			img, _ := png.Decode(bytes.NewReader(stampedPNG))
			var out bytes.Buffer
			jpeg.Encode(&out, img, &jpeg.Options{Quality: 95})
			return out.Bytes()
		}, false},
		{"JPEG: served file as is (comment segment)", func(t *testing.T) []byte {
			return stampedJPEG
		}, true},
		{"JPEG: re-save (decode, encode quality 90)", func(t *testing.T) []byte {
			img, _ := jpeg.Decode(bytes.NewReader(stampedJPEG))
			var out bytes.Buffer
			jpeg.Encode(&out, img, &jpeg.Options{Quality: 90})
			return out.Bytes()
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := w.Identify(tt.transform(t))
			got := err == nil && len(found) == 1 && found[0].ShareID == m.ShareID && found[0].ViewerTag == w.ViewerTag(m.Email)
			var where []string
			if len(found) > 0 {
				where = found[0].Where
			}
			t.Logf("survives=%v where=%v err=%v", got, where, err)
			if got != tt.survives {
				t.Errorf("survives = %v, measured before as %v (found %+v, err %v)", got, tt.survives, found, err)
			}
			if len(found) > 1 {
				t.Errorf("found %d marks, want at most one", len(found))
			}
		})
	}
}

// copyVisible returns the prefix of s holding n characters that are not
// zero-width, as a reader selecting n characters would copy.
func copyVisible(s string, n int) []byte {
	for i, r := range s {
		if zwSymbol(r) < 0 {
			if n--; n < 0 {
				return []byte(s[:i])
			}
		}
	}
	return []byte(s)
}

func crop(t *testing.T, pngBytes []byte, r image.Rectangle) *image.NRGBA {
	t.Helper()
	img, _, err := decodeBounded(pngBytes)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

func reencodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
