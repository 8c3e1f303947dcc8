package watermark

import (
	"bytes"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// pageTextStreams returns the decoded content of page n of a PDF and of
// every form XObject it draws (pdfcpu draws its watermark as one).
func pageTextStreams(t *testing.T, pdf []byte, n int) []string {
	t.Helper()
	conf := pdfConfig()
	conf.Cmd = model.VALIDATE
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), conf)
	if err != nil {
		t.Fatalf("read pdf: %v", err)
	}
	d, _, _, err := ctx.PageDict(n, true)
	if err != nil || d == nil {
		t.Fatalf("page %d: %v", n, err)
	}
	var out []string
	c, err := ctx.PageContent(d, n)
	if err != nil {
		t.Fatalf("page %d content: %v", n, err)
	}
	out = append(out, string(c))
	res, _ := ctx.DereferenceDict(d["Resources"])
	xo, _ := ctx.DereferenceDict(res["XObject"])
	for _, o := range xo {
		sd, _, err := ctx.DereferenceStreamDict(o)
		if err != nil || sd == nil {
			continue
		}
		if sd.Decode() == nil {
			out = append(out, string(sd.Content))
		}
	}
	return out
}

func pageCount(t *testing.T, pdf []byte) int {
	t.Helper()
	conf := pdfConfig()
	conf.Cmd = model.VALIDATE
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), conf)
	if err != nil {
		t.Fatalf("read pdf: %v", err)
	}
	return ctx.PageCount
}
