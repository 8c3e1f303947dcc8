package egress

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
)

var driveFile = regexp.MustCompile(`^/file/d/([A-Za-z0-9_-]{10,})(/|$)`)

// DirectDownload rewrites the public share links of Google Drive, Dropbox
// and OneDrive to the URLs that return the file itself rather than a
// preview page; other URLs come back unchanged.
func DirectDownload(u *url.URL) *url.URL {
	out := *u
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "drive.google.com":
		id := ""
		if m := driveFile.FindStringSubmatch(u.Path); m != nil {
			id = m[1]
		} else if u.Path == "/open" || u.Path == "/uc" {
			id = u.Query().Get("id")
		}
		if id != "" {
			return &url.URL{Scheme: "https", Host: "drive.google.com", Path: "/uc", RawQuery: url.Values{"export": {"download"}, "id": {id}}.Encode()}
		}
	case host == "www.dropbox.com" || host == "dropbox.com":
		q := u.Query()
		q.Del("dl")
		q.Set("dl", "1")
		out.RawQuery = q.Encode()
		return &out
	case host == "1drv.ms" || host == "onedrive.live.com" || strings.HasSuffix(host, ".sharepoint.com") && strings.Contains(u.Path, "/:"):
		// The OneDrive shares API downloads any share link: its id is
		// "u!" and the link in unpadded base64url.
		link := u.String()
		id := "u!" + strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(link)), "=")
		path := "/v1.0/shares/" + id + "/root/content"
		return &url.URL{Scheme: "https", Host: "api.onedrive.com", Path: path, RawPath: path}
	}
	return &out
}
