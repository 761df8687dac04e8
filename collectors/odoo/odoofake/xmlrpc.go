package odoofake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// decodeCall parses an XML-RPC methodCall into its method name and parameters (int64, float64,
// bool, string, []any, map[string]any; nil for <nil/>).
func decodeCall(r io.Reader) (string, []any, error) {
	d := xml.NewDecoder(r)
	var method string
	var params []any
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "methodName":
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				return "", nil, err
			}
			method = strings.TrimSpace(s)
		case "value":
			v, err := decodeValue(d)
			if err != nil {
				return "", nil, err
			}
			params = append(params, v)
		}
	}
	if method == "" {
		return "", nil, errors.New("no methodName")
	}
	return method, params, nil
}

// decodeValue reads the inside of a <value> element up to its end tag.
func decodeValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement: // </value> without a type: a string
			return text.String(), nil
		case xml.StartElement:
			v, err := decodeTyped(d, t)
			if err != nil {
				return nil, err
			}
			if err := skipTo(d, "value"); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
}

func skipTo(d *xml.Decoder, name string) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if e, ok := tok.(xml.EndElement); ok && e.Name.Local == name {
			return nil
		}
	}
}

func decodeTyped(d *xml.Decoder, se xml.StartElement) (any, error) {
	switch se.Name.Local {
	case "array":
		out := []any{}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "value" {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			if e, ok := tok.(xml.EndElement); ok && e.Name.Local == "array" {
				return out, nil
			}
		}
	case "struct":
		out := map[string]any{}
		var name string
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			if s, ok := tok.(xml.StartElement); ok {
				switch s.Name.Local {
				case "name":
					if err := d.DecodeElement(&name, &s); err != nil {
						return nil, err
					}
				case "value":
					v, err := decodeValue(d)
					if err != nil {
						return nil, err
					}
					out[strings.TrimSpace(name)] = v
				}
			}
			if e, ok := tok.(xml.EndElement); ok && e.Name.Local == "struct" {
				return out, nil
			}
		}
	case "nil":
		return nil, d.Skip()
	}
	var s string
	if err := d.DecodeElement(&s, &se); err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	switch se.Name.Local {
	case "int", "i4", "i8":
		return strconv.ParseInt(s, 10, 64)
	case "boolean":
		return s == "1", nil
	case "double":
		return strconv.ParseFloat(s, 64)
	case "string", "base64", "dateTime.iso8601":
		return s, nil
	}
	return nil, fmt.Errorf("unknown XML-RPC type %q", se.Name.Local)
}

// encodeResponse writes a methodResponse holding v.
func encodeResponse(v any) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n")
	encodeValue(&b, v)
	b.WriteString("\n</param>\n</params>\n</methodResponse>\n")
	return b.Bytes()
}

// encodeFault writes a fault the way Odoo's /xmlrpc/2 does: an int faultCode and a faultString.
func encodeFault(code int, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n")
	encodeValue(&b, map[string]any{"faultCode": code, "faultString": msg})
	b.WriteString("\n</fault>\n</methodResponse>\n")
	return b.Bytes()
}

func encodeValue(b *bytes.Buffer, v any) {
	if s, ok := v.([]string); ok {
		v = toAny(s)
	}
	b.WriteString("<value>")
	switch x := v.(type) {
	case nil:
		b.WriteString("<boolean>0</boolean>") // Odoo sends False for empty values
	case bool:
		if x {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case int:
		fmt.Fprintf(b, "<int>%d</int>", x)
	case int64:
		fmt.Fprintf(b, "<int>%d</int>", x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			fmt.Fprintf(b, "<int>%d</int>", int64(x))
		} else {
			fmt.Fprintf(b, "<double>%s</double>", strconv.FormatFloat(x, 'g', -1, 64))
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			fmt.Fprintf(b, "<int>%d</int>", n)
		} else {
			fmt.Fprintf(b, "<double>%s</double>", x.String())
		}
	case string:
		b.WriteString("<string>")
		_ = xml.EscapeText(b, []byte(x))
		b.WriteString("</string>")
	case []any:
		b.WriteString("<array><data>\n")
		for _, e := range x {
			encodeValue(b, e)
			b.WriteString("\n")
		}
		b.WriteString("</data></array>")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<struct>\n")
		for _, k := range keys {
			b.WriteString("<member>\n<name>")
			_ = xml.EscapeText(b, []byte(k))
			b.WriteString("</name>\n")
			encodeValue(b, x[k])
			b.WriteString("\n</member>\n")
		}
		b.WriteString("</struct>")
	default:
		b.WriteString("<string>")
		_ = xml.EscapeText(b, []byte(fmt.Sprint(x)))
		b.WriteString("</string>")
	}
	b.WriteString("</value>")
}

func toAny(in []string) []any {
	out := make([]any, len(in))
	for i, s := range in {
		out[i] = s
	}
	return out
}
