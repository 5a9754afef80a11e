// Command broken does not compile (a type error, so gofmt still accepts it):
// wk's tests use it to check that a build failure is a harness error.
package main

func main() {
	var n int = "not a number"
	_ = n
}
