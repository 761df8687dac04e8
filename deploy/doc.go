// Package deploy holds no code: its directories are the container image (image/, built by
// scripts/image.sh) and the Kubernetes examples (kubernetes/). Its tests build the image on the
// test Docker engine and run the demo in it, and check the manifests: against the Kubernetes
// schemas, and field by field for what the examples rely on (probe paths that answer without the
// token, secret keys that exist, flags the binary accepts).
package deploy
