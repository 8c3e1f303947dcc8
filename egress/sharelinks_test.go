package egress_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wardenhq/warden/egress"
)

func TestShareLinksBecomeDirectDownloads(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing",
			"https://drive.google.com/uc?export=download&id=1AbCdEfGhIjKlMnOpQrStUvWxYz012345"},
		{"https://drive.google.com/open?id=1AbCdEfGhIjKlMnOpQrStUvWxYz012345",
			"https://drive.google.com/uc?export=download&id=1AbCdEfGhIjKlMnOpQrStUvWxYz012345"},
		{"https://www.dropbox.com/s/abc123/report.pdf?dl=0", "https://www.dropbox.com/s/abc123/report.pdf?dl=1"},
		{"https://www.dropbox.com/scl/fi/xyz/report.pdf?rlkey=k&dl=0", "https://www.dropbox.com/scl/fi/xyz/report.pdf?dl=1&rlkey=k"},
		{"https://1drv.ms/u/s!AkPqRsTuVwXyZ", "https://api.onedrive.com/v1.0/shares/u!aHR0cHM6Ly8xZHJ2Lm1zL3UvcyFBa1BxUnNUdVZ3WHla/root/content"},
		{"https://example.com/file.pdf?x=1", "https://example.com/file.pdf?x=1"},
		{"https://drive.google.com/drive/folders/abc", "https://drive.google.com/drive/folders/abc"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := egress.DirectDownload(u).String(); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
		if strings.Contains(tc.in, "1drv") && !strings.HasPrefix(egress.DirectDownload(u).Host, "api.onedrive.com") {
			t.Errorf("onedrive host")
		}
	}
}
