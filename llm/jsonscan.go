package llm

// A minimal JSON scanner for the hot path of streaming: most chunks of a
// streamed reply differ from what Warden sends on only in one string (the
// text delta), so Warden finds that string's bytes and splices the new text
// in, instead of decoding the whole chunk into maps and encoding it again.
// Anything unusual falls back to the full decode.

// valueSpan returns the byte span of the value at path in a JSON document:
// path elements are object keys (string) or array indexes (int). ok is
// false if the path is absent or the document is malformed on the way.
func valueSpan(data []byte, path ...any) (start, end int, ok bool) {
	i := skipSpace(data, 0)
	for _, p := range path {
		switch want := p.(type) {
		case string:
			if i >= len(data) || data[i] != '{' {
				return 0, 0, false
			}
			i++
			found := false
			for {
				i = skipSpace(data, i)
				if i < len(data) && data[i] == '}' {
					return 0, 0, false
				}
				ks, ke, ok := stringSpan(data, i)
				if !ok {
					return 0, 0, false
				}
				i = skipSpace(data, ke)
				if i >= len(data) || data[i] != ':' {
					return 0, 0, false
				}
				i = skipSpace(data, i+1)
				if string(data[ks+1:ke-1]) == want {
					found = true
					break
				}
				if i, ok = skipValue(data, i); !ok {
					return 0, 0, false
				}
				i = skipSpace(data, i)
				if i < len(data) && data[i] == ',' {
					i++
					continue
				}
				return 0, 0, false
			}
			if !found {
				return 0, 0, false
			}
		case int:
			if i >= len(data) || data[i] != '[' {
				return 0, 0, false
			}
			i = skipSpace(data, i+1)
			for n := 0; ; n++ {
				if i < len(data) && data[i] == ']' {
					return 0, 0, false
				}
				if n == want {
					break
				}
				var ok bool
				if i, ok = skipValue(data, i); !ok {
					return 0, 0, false
				}
				i = skipSpace(data, i)
				if i >= len(data) || data[i] != ',' {
					return 0, 0, false
				}
				i = skipSpace(data, i+1)
			}
		default:
			return 0, 0, false
		}
	}
	end, ok = skipValue(data, i)
	return i, end, ok
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringSpan returns the span of the string starting at i, quotes included.
func stringSpan(data []byte, i int) (int, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return i, j + 1, true
		}
	}
	return 0, 0, false
}

// skipValue returns the end of the value starting at i.
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		_, e, ok := stringSpan(data, i)
		return e, ok
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				_, e, ok := stringSpan(data, j)
				if !ok {
					return 0, false
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' && data[j] != '\n' && data[j] != '\r' && data[j] != '\t' {
		j++
	}
	return j, j > i
}

// isNull reports whether the span holds the literal null.
func isNull(data []byte, s, e int) bool { return string(data[s:e]) == "null" }
