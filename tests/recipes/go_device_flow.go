// golang.org/x/oauth2's device flow against devicegate (a public client).
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"golang.org/x/oauth2"
)

func main() {
	gate := os.Getenv("GATE") // devicegate's base URL
	config := &oauth2.Config{
		ClientID: os.Getenv("CLIENT_ID"),
		Scopes:   []string{"read"},
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: gate + "/oauth2/device_authorization",
			TokenURL:      gate + "/oauth2/token",
			AuthStyle:     oauth2.AuthStyleInParams, // a public client: client_id in the body
		},
	}
	ctx := context.Background()
	auth, err := config.DeviceAuth(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("open", auth.VerificationURIComplete)
	fmt.Println("user code:", auth.UserCode)
	// Polls at the given interval, slowing down when told to.
	token, err := config.DeviceAccessToken(ctx, auth)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("access token: %d chars\n", len(token.AccessToken))
}
