package watermark

import (
	"bytes"
	"errors"
)

// MaxIdentifySize bounds the copies Identify reads.
const MaxIdentifySize = 256 << 20

// Identify recovers the forensic marks from a leaked copy: a PDF, PNG or
// JPEG (recognised by their signatures), or otherwise text or HTML. Only
// marks made with this Watermarker's key verify; anything else, including
// a mark altered by a single bit, is ignored. An empty result with a nil
// error means no mark was found.
func (w *Watermarker) Identify(data []byte) ([]Found, error) {
	if len(data) > MaxIdentifySize {
		return nil, errors.New("watermark: file too large to identify")
	}
	c := &collector{w: w}
	switch {
	case isPDF(data):
		if err := c.identifyPDF(data); err != nil {
			// A damaged PDF may still carry readable marks in its bytes:
			// fall back to the raw text (the XMP packet is usually plain).
			c.identifyRawPDF(data)
			if len(c.found) == 0 {
				return nil, err
			}
		}
	case sniffImage(data) != "":
		if err := c.identifyImage(data); err != nil {
			return nil, err
		}
	default:
		c.identifyText(string(data), "text zero-width characters")
		c.identifyTokens(string(data), "text token")
	}
	return c.found, nil
}

// isPDF reports whether data starts with a PDF header (which may follow a
// little junk, as readers allow).
func isPDF(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}

// identifyRawPDF looks for marks in the bytes of a PDF pdfcpu could not
// read: uncompressed XMP packets and invisible text survive there.
func (c *collector) identifyRawPDF(data []byte) {
	s := string(data)
	for _, enc := range between(s, "<warden:mark>", "</warden:mark>") {
		c.identifyTokens(textToken+enc, "pdf raw bytes")
	}
	c.identifyTokens(s, "pdf raw bytes")
}
