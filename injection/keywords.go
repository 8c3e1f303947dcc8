package injection

import "math/bits"

// keywordSet finds every occurrence of a fixed set of keywords in one pass
// over the folded text. It is the prefilter that keeps Scan fast: a rule's
// regular expression only runs where one of its keywords starts.
//
// Keywords that begin with a letter or digit only count at the start of a
// word ("ai" must not fire inside "again"), so the trie is walked only from
// word starts and from punctuation; inside a word the scan costs one table
// lookup per byte. A walk stops at the first byte no keyword continues
// with, so it rarely goes further than a byte or two.
type keywordSet struct {
	class [256]uint8 // byte → column; 0 is every byte no keyword uses
	shift uint       // log2 of the row width
	// child[state<<shift|class] is the next trie state, 0 for none, with
	// endsKeyword set when a keyword ends there.
	child  []uint16
	out    [][]uint16 // keyword ids that end in each state
	length []int32    // length of each keyword
}

// endsKeyword marks a trie transition into a state where a keyword ends, so
// the walk tests one bit instead of loading a slice header per byte.
const endsKeyword = 1 << 15

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
}

// byteKind classifies bytes for the scan loop: alnum for ASCII letters and
// digits, wordish for those and every byte of a multi-byte character.
var byteKind = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if isASCIIAlnum(byte(c)) {
			t[c] |= alnum
		}
		if isWordByte(byte(c)) {
			t[c] |= wordish
		}
	}
	return t
}()

const (
	alnum   = 1
	wordish = 2
)

// hit is one keyword occurrence in the folded text.
type hit struct {
	kw    uint16
	whole bool  // the keyword ends where its word ends
	pos   int32 // offset of the keyword's first byte
}

// newKeywordSet compiles words into a trie; ids are indices into words. The
// tables are built once at package initialisation and only read afterwards.
func newKeywordSet(words []string) *keywordSet {
	k := &keywordSet{length: make([]int32, len(words))}
	ncls := 1
	for _, w := range words {
		for i := 0; i < len(w); i++ {
			if k.class[w[i]] == 0 {
				k.class[w[i]] = uint8(ncls)
				ncls++
			}
		}
	}
	if ncls > 255 {
		panic("injection: too many distinct keyword bytes")
	}
	k.shift = uint(bits.Len(uint(ncls - 1)))
	stride := 1 << k.shift
	k.child = make([]uint16, stride)
	k.out = [][]uint16{nil}
	for id, w := range words {
		k.length[id] = int32(len(w))
		s := 0
		for i := 0; i < len(w); i++ {
			c := int(k.class[w[i]])
			if k.child[s<<k.shift|c] == 0 {
				if len(k.out) >= endsKeyword {
					panic("injection: keyword trie too large")
				}
				k.child[s<<k.shift|c] = uint16(len(k.out))
				k.out = append(k.out, nil)
				k.child = append(k.child, make([]uint16, stride)...)
			}
			s = int(k.child[s<<k.shift|c] &^ endsKeyword)
		}
		k.out[s] = append(k.out[s], uint16(id))
	}
	for i, t := range k.child {
		if t != 0 && len(k.out[t]) > 0 {
			k.child[i] = t | endsKeyword
		}
	}
	return k
}

// find appends every keyword occurrence in b to hits, in order of position.
func (k *keywordSet) find(b []byte, hits []hit) []hit {
	child, class, shift := k.child, &k.class, k.shift
	for i := 0; i < len(b); i++ {
		c := b[i]
		if byteKind[c]&alnum != 0 && i > 0 && byteKind[b[i-1]]&wordish != 0 {
			continue // inside a word: no keyword starts here
		}
		t := child[int(class[c])]
		for j := i; t != 0; {
			s := int(t &^ endsKeyword)
			if t&endsKeyword != 0 {
				// Keywords ending in a letter or digit only make a whole
				// word when the next byte does not continue it.
				whole := j+1 == len(b) || byteKind[b[j]]&alnum == 0 || byteKind[b[j+1]]&wordish == 0
				for _, id := range k.out[s] {
					hits = append(hits, hit{kw: id, pos: int32(i), whole: whole})
				}
			}
			if j++; j == len(b) {
				break
			}
			t = child[s<<shift|int(class[b[j]])]
		}
	}
	return hits
}
