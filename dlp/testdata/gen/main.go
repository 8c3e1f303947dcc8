// Command gen writes eval.jsonl, the labelled evaluation set of the dlp
// package: synthetic texts in many genres (emails, chat, support tickets,
// code, configuration, logs, letters), each with the byte spans of every
// sensitive value in it, and hard negatives that hold none.
//
// The texts come from templates. A slot in capitals ({{EMAIL}}) is filled
// with a fresh sensitive value and labelled; a slot in lower case
// ({{uuid}}) is filled with something that looks similar but is not
// sensitive, and is not labelled. The seed is fixed, so the output is the
// same on every run:
//
//	go run ./dlp/testdata/gen -o dlp/testdata/eval.jsonl
//
// The values are made by hand-written rules of each format (numbering
// plans, issuer prefixes, check digits), not by the recognizers under
// test, and the names deliberately reach beyond the recognizer's
// gazetteer.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// entity is one labelled span, in bytes of the text.
type entity struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// example is one line of the output.
type example struct {
	Text     string   `json:"text"`
	Entities []entity `json:"entities"`
}

func main() {
	out := flag.String("o", "", "output file (default: standard output)")
	flag.Parse()
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	g := &gen{r: rand.New(rand.NewPCG(20261125, 42))}
	for _, set := range templateSets {
		for _, t := range set.templates {
			for range set.times {
				if err := enc.Encode(g.expand(t)); err != nil {
					log.Fatal(err)
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		log.Fatal(err)
	}
}

// gen fills templates. It remembers the last person it named, so that an
// email address can belong to them.
type gen struct {
	r                   *rand.Rand
	lastFirst, lastLast string
}

// value is what a slot expands to; if typ is set, text[from:to] is the
// labelled span (to 0 means the whole text).
type value struct {
	text     string
	typ      string
	from, to int
}

func (g *gen) expand(tmpl string) example {
	var b strings.Builder
	ex := example{Entities: []entity{}}
	g.lastFirst, g.lastLast = "", ""
	for {
		i := strings.Index(tmpl, "{{")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.Index(tmpl[i:], "}}")
		if j < 0 {
			log.Fatalf("unclosed slot in %q", tmpl)
		}
		b.WriteString(tmpl[:i])
		slot := tmpl[i+2 : i+j]
		tmpl = tmpl[i+j+2:]
		v := g.fill(slot)
		if v.typ != "" {
			to := v.to
			if to == 0 {
				to = len(v.text)
			}
			ex.Entities = append(ex.Entities, entity{Type: v.typ, Start: b.Len() + v.from, End: b.Len() + to})
		}
		b.WriteString(v.text)
	}
	ex.Text = b.String()
	return ex
}

func (g *gen) fill(slot string) value {
	if f, ok := sensitive[slot]; ok {
		return f(g)
	}
	if f, ok := fillers[slot]; ok {
		return value{text: f(g)}
	}
	log.Fatalf("unknown slot {{%s}}", slot)
	return value{}
}

// ---- random helpers ----------------------------------------------------

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }
func (g *gen) chance(p float64) bool  { return g.r.Float64() < p }
func (g *gen) between(a, b int) int   { return a + g.r.IntN(b-a+1) }

func (g *gen) from(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	digits   = "0123456789"
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower    = "abcdefghijklmnopqrstuvwxyz"
	alnum    = upper + lower + digits
	hexLower = "0123456789abcdef"
	b64      = alnum + "+/"
	b64url   = alnum + "-_"
)

func (g *gen) digits(n int) string { return g.from(digits, n) }

// group writes s in groups of the given sizes joined by sep.
func group(s string, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		if n >= len(s) {
			break
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// ---- people --------------------------------------------------------------

// origin is a pool of given names and surnames that go together.
type origin struct{ first, last []string }

var origins = []origin{
	{ // common in the US and UK
		first: []string{"James", "Mary", "Jennifer", "Michael", "Linda", "David", "Susan", "Robert", "Patricia", "Emily", "Daniel", "Karen", "Thomas", "Nancy", "Christopher", "Margaret", "Andrew", "Rachel", "Kevin", "Laura", "Brian", "Megan", "Stephen", "Heather"},
		last:  []string{"Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Thompson", "Harris", "Clark", "Lewis", "Walker", "Wright", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Evans", "Collins", "Stewart", "Fletcher", "Holloway"},
	},
	{ // Nigerian
		first: []string{"Chukwuemeka", "Ngozi", "Oluwaseun", "Chiamaka", "Babajide", "Funmilayo", "Adaeze", "Tunde"},
		last:  []string{"Okonkwo", "Adeyemi", "Bakare", "Eze", "Ogunleye", "Adebayo", "Nwosu", "Okafor"},
	},
	{ // Indian
		first: []string{"Priya", "Venkatesh", "Ananya", "Rohan", "Sanjay", "Deepika", "Arjun", "Lakshmi", "Harsha"},
		last:  []string{"Raghunathan", "Subramanian", "Iyer", "Mehta", "Krishnamurthy", "Venkataraman", "Chatterjee", "Banerjee", "Reddy"},
	},
	{ // Chinese
		first: []string{"Wei", "Xiaoling", "Zhiwei", "Jing", "Haoran", "Meiling", "Yuxuan", "Jianguo"},
		last:  []string{"Zhang", "Chen", "Liu", "Wang", "Huang", "Zhou", "Xu", "Guo"},
	},
	{ // Japanese and Korean
		first: []string{"Haruto", "Yui", "Sota", "Aiko", "Kenji", "Minji", "Jihoon", "Seoyeon"},
		last:  []string{"Takahashi", "Nakamura", "Watanabe", "Yamamoto", "Kobayashi", "Park", "Choi", "Jung"},
	},
	{ // Arabic
		first: []string{"Omar", "Layla", "Youssef", "Fatima", "Karim", "Nour", "Tariq", "Samira"},
		last:  []string{"Haddad", "Mansour", "Khalil", "Al-Sayed", "Nasser", "Darwish", "El-Amin", "Saleh"},
	},
	{ // Slavic and Nordic
		first: []string{"Dmitri", "Katarzyna", "Piotr", "Anastasia", "Milan", "Sigrid", "Lars", "Ingrid", "Mikael"},
		last:  []string{"Volkov", "Nowak", "Kowalczyk", "Petrova", "Horvat", "Lindqvist", "Eriksen", "Halvorsen", "Nyberg"},
	},
	{ // German, Dutch, Spanish, Irish and Turkish, ASCII spellings
		first: []string{"Matthias", "Annika", "Friederike", "Joost", "Alejandro", "Camila", "Siobhan", "Niamh", "Ciaran", "Emre", "Zeynep"},
		last:  []string{"Becker", "Vogel", "Schulte", "Visser", "Ruiz", "Restrepo", "O'Connell", "Gallagher", "McBride", "Yilmaz", "Demir"},
	},
	{ // spellings with letters beyond ASCII
		first: []string{"Jürgen", "Björn", "Zoë", "Łukasz", "José", "Søren", "Renée", "Ayşe", "Dorothée"},
		last:  []string{"Müller", "Åkesson", "Lefèvre", "Wójcik", "Álvarez", "Dahl", "Côté", "Öztürk", "Schäfer"},
	},
	{ // invented but plausible: in no name list
		first: []string{"Talvin", "Brisa", "Orrin", "Maelis", "Corvin", "Lunet", "Tamsin", "Ezrin", "Solveig", "Caius"},
		last:  []string{"Marrowby", "Quennell", "Feldgate", "Tharrow", "Ashdale", "Penhallow", "Vantreese", "Oakridge", "Brackwell", "Dunmore"},
	},
}

func (g *gen) person() (first, last string) {
	o := origins[g.r.IntN(len(origins))]
	first, last = g.pick(o.first), g.pick(o.last)
	g.lastFirst, g.lastLast = first, last
	return first, last
}

func (g *gen) personValue() value {
	first, last := g.person()
	name := first + " " + last
	if g.chance(0.08) {
		name = first + " " + string(upper[g.r.IntN(26)]) + ". " + last
	}
	return value{text: name, typ: "PERSON"}
}

var titles = []string{"Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Dr", "Mr"}

// ---- emails --------------------------------------------------------------

var mailDomains = []string{
	"acme-corp.com", "northwind.io", "globex.net", "initech.co.uk", "umbrella-health.org", "contoso.de",
	"fabrikam.fr", "hooli.xyz", "gmail.com", "outlook.com", "yahoo.co.jp", "web.de", "gmx.net", "proton.me",
	"icloud.com", "btinternet.com", "mail.tsinghua.edu.cn", "students.uni-mannheim.de", "law-firm.legal",
	"stark-industries.com", "wayne.enterprises", "hotmail.co.uk", "t-online.de", "posteo.de",
}

// asciiName makes a name usable in an address.
func asciiName(s string) string {
	r := strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae", "Å", "A", "å", "a", "è", "e", "é", "e", "ë", "e",
		"Ł", "L", "ł", "l", "ó", "o", "Á", "A", "ø", "o", "ô", "o", "ş", "s", "Ö", "O", "'", "", "-", "")
	return strings.ToLower(r.Replace(s))
}

func (g *gen) email() value {
	first, last := g.lastFirst, g.lastLast
	if first == "" || g.chance(0.3) {
		o := origins[g.r.IntN(len(origins))]
		first, last = g.pick(o.first), g.pick(o.last)
	}
	f, l := asciiName(first), asciiName(last)
	var local string
	switch g.r.IntN(8) {
	case 0:
		local = f + "." + l
	case 1:
		local = f[:1] + l
	case 2:
		local = f + "_" + l
	case 3:
		local = f + "+" + g.pick([]string{"news", "billing", "github", "shop"})
	case 4:
		local = f + l + strconv.Itoa(g.between(1, 99))
	case 5:
		local = f[:1] + "." + l
	case 6:
		local = strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:]
	default:
		local = l + "-" + f
	}
	return value{text: local + "@" + g.pick(mailDomains), typ: "EMAIL"}
}

// ---- phones --------------------------------------------------------------

var usAreas = []string{"212", "213", "305", "312", "415", "503", "512", "617", "646", "702", "713", "206", "303", "404", "602", "614", "720", "818", "919", "571"}

func (g *gen) usParts() (area, exch, line string) {
	area = g.pick(usAreas)
	if g.chance(0.3) {
		return area, "555", "01" + g.digits(2) // the range set aside for fiction
	}
	exch = strconv.Itoa(g.between(2, 9)) + g.digits(2)
	for exch[1:] == "11" || exch == "555" {
		exch = strconv.Itoa(g.between(2, 9)) + g.digits(2)
	}
	return area, exch, g.digits(4)
}

func (g *gen) phoneUS() value {
	a, e, l := g.usParts()
	var s string
	switch g.r.IntN(8) {
	case 0, 1:
		s = "(" + a + ") " + e + "-" + l
	case 2:
		s = a + "-" + e + "-" + l
	case 3:
		s = a + "." + e + "." + l
	case 4:
		s = "+1 " + a + " " + e + " " + l
	case 5:
		s = "+1 (" + a + ") " + e + "-" + l
	case 6:
		s = "+1-" + a + "-" + e + "-" + l
	default:
		s = "1-" + a + "-" + e + "-" + l
	}
	return value{text: s, typ: "PHONE"}
}

func (g *gen) phoneGB() value {
	var s string
	switch g.r.IntN(7) {
	case 0:
		s = "020 " + g.pick([]string{"7", "8", "3"}) + g.digits(3) + " " + g.digits(4)
	case 1:
		s = "+44 20 " + g.pick([]string{"7", "8", "3"}) + g.digits(3) + " " + g.digits(4)
	case 2:
		s = "+44 (0)20 " + g.pick([]string{"7", "8"}) + g.digits(3) + " " + g.digits(4)
	case 3:
		s = "07" + g.pick([]string{"911", "700", "825", "412", "949", "563"}) + " " + strconv.Itoa(g.between(1, 9)) + g.digits(5)
	case 4:
		s = "+44 7" + g.pick([]string{"911", "825", "412", "949"}) + " " + strconv.Itoa(g.between(1, 9)) + g.digits(5)
	case 5:
		s = g.pick([]string{"0161", "0121", "0113", "0131"}) + " " + strconv.Itoa(g.between(2, 9)) + g.digits(2) + " " + g.digits(4)
	default:
		s = "+44 " + g.pick([]string{"161", "121", "113"}) + " " + strconv.Itoa(g.between(2, 9)) + g.digits(2) + " " + g.digits(4)
	}
	return value{text: s, typ: "PHONE"}
}

func (g *gen) phoneDE() value {
	sub := func(n int) string { return strconv.Itoa(g.between(2, 9)) + g.digits(n-1) }
	var s string
	switch g.r.IntN(8) {
	case 0:
		s = "030 " + sub(8)
	case 1:
		s = "+49 30 " + sub(8)
	case 2:
		s = "+49 (0)89 " + sub(7)
	case 3:
		s = g.pick([]string{"040", "069", "0221", "089"}) + "/" + sub(7)
	case 4:
		s = g.pick([]string{"0151", "0152", "0176"}) + " " + g.digits(8)
	case 5:
		s = "+49 " + g.pick([]string{"151", "152", "176"}) + " " + g.digits(8)
	case 6:
		s = g.pick([]string{"0160", "0170", "0171"}) + "-" + g.digits(7)
	default:
		p := sub(8)
		s = "030 " + p[:3] + " " + p[3:6] + " " + p[6:]
	}
	return value{text: s, typ: "PHONE"}
}

func (g *gen) phone() value {
	switch g.r.IntN(3) {
	case 0:
		return g.phoneUS()
	case 1:
		return g.phoneGB()
	}
	return g.phoneDE()
}

// ---- payment cards and SSNs ---------------------------------------------

// luhnDigit is the check digit that makes body+digit pass Luhn.
func luhnDigit(body string) string {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return strconv.Itoa((10 - sum%10) % 10)
}

// cardNumber returns a Luhn-valid number of a random scheme, and the
// grouping that scheme prints.
func (g *gen) cardNumber() (string, []int) {
	var prefix string
	n, groups := 16, []int{4, 4, 4}
	switch g.r.IntN(9) {
	case 0, 1:
		prefix = "4" + g.digits(5) // Visa
	case 2:
		prefix = strconv.Itoa(g.between(51, 55)) // Mastercard
	case 3:
		prefix = strconv.Itoa(g.between(2221, 2720)) // Mastercard 2-series
	case 4:
		prefix, n, groups = g.pick([]string{"34", "37"}), 15, []int{4, 6} // Amex
	case 5:
		prefix = g.pick([]string{"6011", "65"}) // Discover
	case 6:
		prefix = strconv.Itoa(g.between(3528, 3589)) // JCB
	case 7:
		prefix, n, groups = "36", 14, []int{4, 6} // Diners Club
	default:
		prefix = "62" + g.digits(4) // UnionPay
	}
	body := prefix + g.digits(n-1-len(prefix))
	return body + luhnDigit(body), groups
}

func (g *gen) card() value {
	num, groups := g.cardNumber()
	switch g.r.IntN(4) {
	case 0:
		return value{text: num, typ: "CREDIT_CARD"}
	case 1:
		return value{text: group(num, "-", groups...), typ: "CREDIT_CARD"}
	}
	return value{text: group(num, " ", groups...), typ: "CREDIT_CARD"}
}

// badCard is a card-shaped number whose last digit is wrong.
func (g *gen) badCard() string {
	num, groups := g.cardNumber()
	last := (int(num[len(num)-1]-'0') + g.between(1, 9)) % 10
	return group(num[:len(num)-1]+strconv.Itoa(last), " ", groups...)
}

func (g *gen) ssnDigits() string {
	area := g.between(1, 899)
	for area == 666 {
		area = g.between(1, 899)
	}
	return fmt.Sprintf("%03d%02d%04d", area, g.between(1, 99), g.between(1, 9999))
}

func (g *gen) ssn() value {
	d := g.ssnDigits()
	if g.chance(0.12) {
		return value{text: d[:3] + " " + d[3:5] + " " + d[5:], typ: "SSN"}
	}
	return value{text: d[:3] + "-" + d[3:5] + "-" + d[5:], typ: "SSN"}
}

// ---- IBANs ---------------------------------------------------------------

// bban makes the domestic part of an IBAN for a country, in its structure.
func (g *gen) bban(cc string) string {
	switch cc {
	case "DE":
		return g.digits(18)
	case "GB":
		return g.pick([]string{"NWBK", "BARC", "LOYD", "HBUK", "MIDL"}) + g.digits(14)
	case "IE":
		return g.pick([]string{"AIBK", "BOFI"}) + g.digits(14)
	case "FR":
		bank, branch, acct := g.digits(5), g.digits(5), g.digits(11)
		n := func(s string) int { v, _ := strconv.Atoi(s); return v }
		key := 97 - (89*n(bank)+15*n(branch)+3*n(acct))%97
		return fmt.Sprintf("%s%s%s%02d", bank, branch, acct, key)
	case "NL":
		return g.pick([]string{"ABNA", "RABO", "INGB", "TRIO"}) + g.digits(10)
	case "ES":
		return g.digits(20)
	case "IT":
		return string(upper[g.r.IntN(26)]) + g.digits(10) + g.digits(12)
	case "CH":
		return g.digits(17)
	case "AT":
		return g.digits(16)
	case "BE":
		body := g.digits(10)
		v, _ := strconv.Atoi(body)
		chk := v % 97
		if chk == 0 {
			chk = 97
		}
		return fmt.Sprintf("%s%02d", body, chk)
	case "PL":
		return g.digits(24)
	}
	panic(cc)
}

// ibanCheck computes the two check digits of an IBAN (ISO 13616).
func ibanCheck(cc, bban string) string {
	r := 0
	for _, c := range bban + cc + "00" {
		if c >= 'A' && c <= 'Z' {
			r = (r*100 + int(c-'A') + 10) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%02d", 98-r)
}

var ibanCountries = []string{"DE", "DE", "GB", "GB", "FR", "NL", "ES", "IT", "CH", "AT", "BE", "PL", "IE"}

func (g *gen) ibanCompact() string {
	cc := g.pick(ibanCountries)
	b := g.bban(cc)
	return cc + ibanCheck(cc, b) + b
}

func (g *gen) iban() value {
	s := g.ibanCompact()
	if g.chance(0.6) {
		s = group(s, " ", 4, 4, 4, 4, 4, 4, 4)
	}
	return value{text: s, typ: "IBAN"}
}

// badIBAN has valid structure and wrong check digits.
func (g *gen) badIBAN() string {
	s := g.ibanCompact()
	c, _ := strconv.Atoi(s[2:4])
	c = (c+g.between(1, 40))%97 + 2
	s = s[:2] + fmt.Sprintf("%02d", c%100) + s[4:]
	return group(s, " ", 4, 4, 4, 4, 4, 4, 4)
}

// ---- network -------------------------------------------------------------

// publicIPv4 draws from unicast space outside every private, shared,
// documentation, benchmark and reserved range.
func (g *gen) publicIPv4() string {
	for {
		a, b := g.between(1, 223), g.between(0, 255)
		switch {
		case a == 10 || a == 127 || a == 0:
			continue
		case a == 100 && b >= 64 && b <= 127:
			continue
		case a == 169 && b == 254, a == 172 && b >= 16 && b <= 31, a == 192 && b == 168:
			continue
		case a == 192 && b == 0, a == 198 && (b == 18 || b == 19 || b == 51), a == 203 && b == 0:
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, b, g.between(0, 255), g.between(1, 254))
	}
}

func (g *gen) publicIPv6() string {
	h := func() string { return strconv.FormatUint(uint64(g.between(1, 0xffff)), 16) }
	prefix := g.pick([]string{"2a02:" + h(), "2001:4860", "2600:" + h(), "2a00:1450", "2c0f:" + h(), "2405:" + h(), "2003:" + h()})
	if g.chance(0.5) {
		return prefix + ":" + h() + ":" + h() + "::" + h()
	}
	return prefix + ":" + h() + ":" + h() + ":" + h() + ":" + h() + ":" + h() + ":" + h()
}

func (g *gen) ip() value {
	if g.chance(0.25) {
		return value{text: g.publicIPv6(), typ: "IP_ADDRESS"}
	}
	return value{text: g.publicIPv4(), typ: "IP_ADDRESS"}
}

func (g *gen) privateIP() string {
	switch g.r.IntN(8) {
	case 0:
		return "127.0.0.1"
	case 1:
		return fmt.Sprintf("10.%d.%d.%d", g.between(0, 255), g.between(0, 255), g.between(1, 254))
	case 2:
		return fmt.Sprintf("192.168.%d.%d", g.between(0, 255), g.between(1, 254))
	case 3:
		return fmt.Sprintf("172.%d.%d.%d", g.between(16, 31), g.between(0, 255), g.between(1, 254))
	case 4:
		return fmt.Sprintf("192.0.2.%d", g.between(1, 254))
	case 5:
		return fmt.Sprintf("203.0.113.%d", g.between(1, 254))
	case 6:
		return "fe80::" + g.from(hexLower, 4) + ":" + g.from(hexLower, 4)
	}
	return "2001:db8::" + g.from(hexLower, 3)
}

var urlSchemes = []string{"postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqp", "https", "ftp", "smtp"}
var urlUsers = []string{"app", "admin", "deploy", "svc_billing", "reporting", "etl_user", "root", "grafana", "ci-bot"}
var urlHosts = []string{"db.prod.acme-corp.com", "10.0.4.12", "cluster0.x7kq2.mongodb.net", "cache.internal", "mq.northwind.io", "files.globex.net", "smtp.mailgun.org", "pg-eu-1.initech.co.uk"}

func (g *gen) password() string {
	p := g.from(alnum, g.between(10, 20))
	if g.chance(0.5) {
		i := g.between(1, len(p)-1)
		p = p[:i] + g.pick([]string{"-", "_", ".", "!", "~"}) + p[i:]
	}
	return p
}

func (g *gen) urlCreds() value {
	scheme, user, host := g.pick(urlSchemes), g.pick(urlUsers), g.pick(urlHosts)
	pass := g.password()
	prefix := scheme + "://"
	s := prefix + user + ":" + pass + "@" + host
	switch scheme {
	case "postgres", "postgresql":
		s += ":5432/" + g.pick([]string{"app", "billing", "analytics"})
	case "mysql":
		s += ":3306/shop"
	case "redis":
		s += ":6379/0"
	case "mongodb+srv":
		s += "/orders?retryWrites=true"
	}
	return value{text: s, typ: "URL_CREDENTIALS", from: len(prefix), to: len(prefix) + len(user) + 1 + len(pass)}
}

// ---- credentials -------------------------------------------------------

func (g *gen) awsKey() string { return "AKIA" + g.from(upper+"234567", 16) }

func (g *gen) githubToken() string {
	switch g.r.IntN(4) {
	case 0:
		return "github_pat_" + g.from(alnum, 22) + "_" + g.from(alnum, 59)
	case 1:
		return "gho_" + g.from(alnum, 36)
	}
	return "ghp_" + g.from(alnum, 36)
}

func (g *gen) stripeKey() string {
	return g.pick([]string{"sk_live_", "rk_live_"}) + g.from(alnum, g.pick2(24, 99))
}

func (g *gen) pick2(a, b int) int {
	if g.chance(0.5) {
		return a
	}
	return b
}

func (g *gen) slackToken() string {
	if g.chance(0.5) {
		return "xoxb-" + g.digits(g.between(10, 13)) + "-" + g.digits(13) + "-" + g.from(alnum, 24)
	}
	return "xoxp-" + g.digits(11) + "-" + g.digits(11) + "-" + g.digits(13) + "-" + g.from(hexLower, 32)
}

// apiKey is the value of a service's own key: no prefix to know it by.
func (g *gen) apiKey() string {
	switch g.r.IntN(3) {
	case 0:
		return g.from(hexLower, 32)
	case 1:
		return g.from(alnum, 40)
	}
	return g.from(alnum, 24) + "-" + g.from(alnum, 8)
}

func (g *gen) googleKey() string    { return "AIza" + g.from(b64url, 35) }
func (g *gen) anthropicKey() string { return "sk-ant-api03-" + g.from(b64url, 93) + "AA" }

func (g *gen) anySecret() string {
	switch g.r.IntN(6) {
	case 0:
		return g.awsKey()
	case 1:
		return g.githubToken()
	case 2:
		return g.stripeKey()
	case 3:
		return g.slackToken()
	case 4:
		return g.googleKey()
	}
	return g.anthropicKey()
}

func (g *gen) b64Lines(lines, width int) []string {
	var out []string
	for range lines {
		out = append(out, g.from(b64, width))
	}
	last := g.from(b64, g.between(8, width-4))
	return append(out, last+strings.Repeat("=", g.between(0, 2)))
}

func (g *gen) pemKey(sep string) string {
	label := g.pick([]string{"RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"})
	body := g.b64Lines(g.between(3, 12), 64)
	if strings.HasPrefix(label, "OPENSSH") {
		body[0] = "b3BlbnNzaC1rZXktdjEAAAAA" + body[0][24:]
	} else if label == "RSA PRIVATE KEY" {
		body[0] = "MIIEpAIBAAKCAQEA" + body[0][16:]
	}
	return "-----BEGIN " + label + "-----" + sep + strings.Join(body, sep) + sep + "-----END " + label + "-----"
}

func b64url64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func (g *gen) jwt() string {
	header := g.pick([]string{`{"alg":"HS256","typ":"JWT"}`, `{"alg":"RS256","typ":"JWT","kid":"` + g.from(hexLower, 16) + `"}`, `{"typ":"JWT","alg":"ES256"}`})
	first, last := g.person()
	g.lastFirst, g.lastLast = "", ""
	iat := 1760000000 + g.r.IntN(20000000)
	payload := fmt.Sprintf(`{"sub":"%d","name":"%s %s","iat":%d,"exp":%d}`, g.between(1000, 999999), first, last, iat, iat+3600)
	sigLen := 43
	if strings.Contains(header, "RS256") {
		sigLen = 342
	} else if strings.Contains(header, "ES256") {
		sigLen = 86
	}
	return b64url64(header) + "." + b64url64(payload) + "." + g.from(b64url, sigLen)
}

// ---- addresses ---------------------------------------------------------

var (
	usStreets   = []string{"Oak", "Maple", "Pennsylvania", "Elm", "Cedar", "Washington", "Sunset", "Lake Shore", "Highland", "Mission", "Peachtree", "Colfax", "Magnolia", "Willow Creek", "Market"}
	usSuffixes  = []string{"Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Drive", "Dr", "Court", "Way", "Place"}
	usCities    = []string{"Springfield, IL 62704", "Austin, TX 78701", "Seattle, WA 98101", "Boston, MA 02110", "Denver, CO 80202", "Portland, OR 97205", "Chicago, IL 60601", "San Francisco, CA 94103", "Atlanta, GA 30303", "Miami, FL 33130"}
	ukStreets   = []string{"Baker Street", "Park Road", "Victoria Terrace", "Church Lane", "Station Road", "Queens Avenue", "Mill Lane", "Kings Crescent", "High Street", "Albert Grove"}
	ukTowns     = []string{"London NW1 6XE", "Leeds LS6 2AB", "Manchester M1 1AE", "Edinburgh EH3 7AB", "Birmingham B15 2TT", "Cardiff CF10 3AT", "Bristol BS1 4DJ", "York YO1 7HH"}
	deStreets   = []string{"Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerweg", "Friedrichstr.", "Goethestraße", "Marktplatz", "Rosenweg", "Kastanienallee", "Am Rosenhang", "Unter den Linden", "Schlossgasse"}
	deCities    = []string{"10115 Berlin", "80331 München", "50968 Köln", "60329 Frankfurt am Main", "01067 Dresden", "69117 Heidelberg", "20095 Hamburg", "70173 Stuttgart", "04109 Leipzig"}
	usUnits     = []string{"Apt 4B", "Suite 300", "Unit 12", "#210", "Apt. 7"}
	directions  = []string{"NW", "SE", "N", "W"}
	ordinalStrs = []string{"1st", "2nd", "3rd", "5th", "42nd", "7th", "11th", "23rd"}
)

func (g *gen) addressUS() value {
	var street string
	if g.chance(0.2) {
		street = g.pick([]string{"W ", "E ", ""}) + g.pick(ordinalStrs) + " " + g.pick([]string{"St", "Street", "Avenue", "Ave"})
	} else {
		street = g.pick(usStreets) + " " + g.pick(usSuffixes)
	}
	s := strconv.Itoa(g.between(1, 9899)) + " " + street
	if g.chance(0.15) {
		s += " " + g.pick(directions)
	}
	if g.chance(0.3) {
		s += ", " + g.pick(usUnits)
	}
	if g.chance(0.85) {
		s += ", " + g.pick(usCities)
	}
	return value{text: s, typ: "ADDRESS"}
}

func (g *gen) addressUK() value {
	n := strconv.Itoa(g.between(1, 240))
	if g.chance(0.15) {
		n += "B"
	}
	return value{text: n + " " + g.pick(ukStreets) + ", " + g.pick(ukTowns), typ: "ADDRESS"}
}

func (g *gen) addressDE() value {
	n := strconv.Itoa(g.between(1, 180))
	if g.chance(0.15) {
		n += g.pick([]string{"a", "b"})
	}
	return value{text: g.pick(deStreets) + " " + n + ", " + g.pick(deCities), typ: "ADDRESS"}
}

func (g *gen) address() value {
	switch g.r.IntN(3) {
	case 0:
		return g.addressUK()
	case 1:
		return g.addressDE()
	}
	return g.addressUS()
}

// ---- slots -------------------------------------------------------------

func typed(typ string, f func(*gen) string) func(*gen) value {
	return func(g *gen) value { return value{text: f(g), typ: typ} }
}

// sensitive slots are labelled.
var sensitive = map[string]func(*gen) value{
	"PERSON": (*gen).personValue,
	"FIRST": func(g *gen) value {
		first, _ := g.person()
		return value{text: first, typ: "PERSON"}
	},
	"SURNAME": func(g *gen) value {
		_, last := g.person()
		return value{text: last, typ: "PERSON"}
	},
	"EMAIL":        (*gen).email,
	"PHONE":        (*gen).phone,
	"PHONE_US":     (*gen).phoneUS,
	"PHONE_GB":     (*gen).phoneGB,
	"PHONE_DE":     (*gen).phoneDE,
	"CARD":         (*gen).card,
	"SSN":          (*gen).ssn,
	"SSN_BARE":     typed("SSN", (*gen).ssnDigits),
	"IBAN":         (*gen).iban,
	"IP":           (*gen).ip,
	"IPV4":         typed("IP_ADDRESS", (*gen).publicIPv4),
	"IPV6":         typed("IP_ADDRESS", (*gen).publicIPv6),
	"AWS_KEY":      typed("SECRET", (*gen).awsKey),
	"GITHUB_TOKEN": typed("SECRET", (*gen).githubToken),
	"STRIPE_KEY":   typed("SECRET", (*gen).stripeKey),
	"SLACK_TOKEN":  typed("SECRET", (*gen).slackToken),
	"API_KEY":      typed("SECRET", (*gen).apiKey),
	"SECRET":       typed("SECRET", (*gen).anySecret),
	"PASSWORD":     typed("SECRET", (*gen).password),
	"PEM":          typed("PRIVATE_KEY", func(g *gen) string { return g.pemKey("\n") }),
	"PEM_ESCAPED":  typed("PRIVATE_KEY", func(g *gen) string { return g.pemKey(`\n`) }),
	"JWT":          typed("JWT", (*gen).jwt),
	"URL_CREDS":    (*gen).urlCreds,
	"ADDRESS":      (*gen).address,
	"ADDRESS_US":   (*gen).addressUS,
	"ADDRESS_UK":   (*gen).addressUK,
	"ADDRESS_DE":   (*gen).addressDE,
	"SVC_EMAIL": func(g *gen) value {
		return value{text: g.pick([]string{"billing", "etl", "deployer"}) + "@billing-prod.iam.gserviceaccount.com", typ: "EMAIL"}
	},
	// GITHUB_USER_CREDS is the user:token part of an HTTPS clone URL.
	"GITHUB_USER_CREDS": func(g *gen) value {
		return value{text: g.pick([]string{"x-access-token", "ci-bot", "octo"}) + ":" + g.githubToken(), typ: "URL_CREDENTIALS"}
	},
}

// fillers look like sensitive values, or sit where they would, and are not.
var fillers = map[string]func(*gen) string{
	"uuid": func(g *gen) string {
		h := g.from(hexLower, 32)
		return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
	},
	"sha1":     func(g *gen) string { return g.from(hexLower, 40) },
	"sha256":   func(g *gen) string { return g.from(hexLower, 64) },
	"shortsha": func(g *gen) string { return g.from(hexLower, 7) },
	"version": func(g *gen) string {
		return fmt.Sprintf("%d.%d.%d", g.between(0, 12), g.between(0, 30), g.between(0, 200))
	},
	"date": func(g *gen) string {
		y, m, d := g.between(2019, 2027), g.between(1, 12), g.between(1, 28)
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		case 1:
			return fmt.Sprintf("%02d.%02d.%04d", d, m, y)
		}
		return fmt.Sprintf("%02d/%02d/%04d", m, d, y)
	},
	"time": func(g *gen) string {
		return fmt.Sprintf("%02d:%02d:%02d", g.between(0, 23), g.between(0, 59), g.between(0, 59))
	},
	"order":  func(g *gen) string { return fmt.Sprintf("ORD-%d-%06d", g.between(2020, 2026), g.r.IntN(1000000)) },
	"ticket": func(g *gen) string { return strconv.Itoa(g.between(10000, 999999)) },
	"int":    func(g *gen) string { return strconv.Itoa(g.between(2, 5000)) },
	"bigint": func(g *gen) string { return strconv.Itoa(g.between(1000000000, 1999999999)) },
	"price": func(g *gen) string {
		return fmt.Sprintf("%d,%03d.%02d", g.between(1, 9), g.r.IntN(1000), g.r.IntN(100))
	},
	"badcard": (*gen).badCard,
	"badiban": (*gen).badIBAN,
	"exemail": func(g *gen) string {
		return g.pick([]string{"jane", "user", "admin", "test", "john.doe", "alice", "bob"}) + "@" +
			g.pick([]string{"example.com", "example.org", "example.net", "test.invalid", "mail.example"})
	},
	"privip": (*gen).privateIP,
	"b64": func(g *gen) string {
		return base64.StdEncoding.EncodeToString([]byte(g.pick([]string{"hello world, this is a test fixture", "lorem ipsum dolor sit amet", `{"feature":"dark-mode","enabled":true}`, "The quick brown fox"})))
	},
	"title": func(g *gen) string { return g.pick(titles) },
	"hex":   func(g *gen) string { return g.from(hexLower, 6) },
	"mac": func(g *gen) string {
		h := g.from(hexLower, 12)
		return group(h, ":", 2, 2, 2, 2, 2)
	},
	"isbn": func(g *gen) string {
		return "978-" + g.digits(1) + "-" + g.digits(2) + "-" + g.digits(6) + "-" + g.digits(1)
	},
	"tracking":  func(g *gen) string { return "1Z" + g.from(upper+digits, 16) },
	"accountid": func(g *gen) string { return g.digits(12) },
	"zip4":      func(g *gen) string { return g.digits(5) + "-" + g.digits(4) },
	"port":      func(g *gen) string { return strconv.Itoa(g.between(1024, 65535)) },
	"pubkey": func(g *gen) string {
		return "-----BEGIN PUBLIC KEY-----\n" + strings.Join(g.b64Lines(3, 64), "\n") + "\n-----END PUBLIC KEY-----"
	},
	"cert": func(g *gen) string {
		return "-----BEGIN CERTIFICATE-----\n" + strings.Join(g.b64Lines(5, 64), "\n") + "\n-----END CERTIFICATE-----"
	},
	"sshpub": func(g *gen) string { return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + g.from(b64, 43) + " deploy@ci" },
	"ident": func(g *gen) string {
		return g.pick([]string{"getUserName", "MAX_RETRY_COUNT", "user_id", "parseConfigFile", "HTTPClient", "isValidEmail", "default_timeout_ms", "OrderService"})
	},
	"company": func(g *gen) string {
		return g.pick([]string{"Wells Fargo", "Morgan Stanley", "Goldman Sachs", "Johnson & Johnson", "Procter & Gamble", "Ernst & Young", "Dell Technologies", "Ford Motor Company", "Marks & Spencer", "Hewlett Packard"})
	},
	"product": func(g *gen) string {
		return g.pick([]string{"Visual Studio Code", "Google Chrome", "Microsoft Teams", "Apple Watch", "Adobe Acrobat Reader", "Amazon Echo", "Lincoln Navigator", "Jordan Brand sneakers", "Tesla Model Y", "Ruby on Rails"})
	},
	"place": func(g *gen) string {
		return g.pick([]string{"Austin, Texas", "Victoria Station", "St. Louis", "San Jose", "Charlotte, North Carolina", "Lake Geneva", "Georgia", "Jackson Heights", "Washington Square Park", "Mount Pleasant"})
	},
}

// ---- templates ---------------------------------------------------------

// templateSet is a group of templates, each expanded times times.
type templateSet struct {
	times     int
	templates []string
}

var templateSets = []templateSet{
	{times: 3, templates: emailTemplates},
	{times: 2, templates: phoneTemplates},
	{times: 3, templates: cardTemplates},
	{times: 3, templates: ssnTemplates},
	{times: 3, templates: ibanTemplates},
	{times: 3, templates: ipTemplates},
	{times: 2, templates: secretTemplates},
	{times: 6, templates: privateKeyTemplates},
	{times: 5, templates: jwtTemplates},
	{times: 5, templates: urlTemplates},
	{times: 2, templates: personTemplates},
	{times: 3, templates: addressTemplates},
	{times: 2, templates: mixedTemplates},
	{times: 3, templates: negativeTemplates},
	{times: 1, templates: fixedNegatives},
}
