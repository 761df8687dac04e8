package serve

// Open is the tests' store over dir with graph.json loaded: a directory without one is an error
// that says how to make one.
func Open(dir string) (*Store, error) {
	s := NewStore(dir)
	if _, err := s.Current(); err != nil {
		return nil, err
	}
	return s, nil
}
