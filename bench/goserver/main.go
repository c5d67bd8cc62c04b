// The Go anchor: net/http's FileServer, the server of the "Go on scratch" images.
// Built static by bench/run.sh: CGO_ENABLED=0 go build -ldflags "-s -w".
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: goserver ADDR:PORT ROOT")
	}
	log.Fatal(http.ListenAndServe(os.Args[1], http.FileServer(http.Dir(os.Args[2]))))
}
