package config

// Section returns the instances of provider as its package's Config type C (nil when none is
// configured): what the tests read where File had a typed field per provider.
func Section[C any](f *File, provider string) []C {
	l, _ := f.sections[provider].([]C)
	return l
}
