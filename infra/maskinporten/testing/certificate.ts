/** A public, self-signed test certificate (CN=skyporten-test, RSA 2048, made with openssl; its private key was discarded).
 * Only the x5c header construction is tested with it. */
export const TEST_CERTIFICATE_PEM = [
  "-----BEGIN CERTIFICATE-----",
  "MIIDEzCCAfugAwIBAgIUDvVOzR7hX8K47XLYeuwkAXiraUUwDQYJKoZIhvcNAQEL",
  "BQAwGTEXMBUGA1UEAwwOc2t5cG9ydGVuLXRlc3QwHhcNMjYxMTIxMjIzNTEwWhcN",
  "MzYxMTE4MjIzNTEwWjAZMRcwFQYDVQQDDA5za3lwb3J0ZW4tdGVzdDCCASIwDQYJ",
  "KoZIhvcNAQEBBQADggEPADCCAQoCggEBAKCEFox1tbOQEqgzWQEhZeICkkhlN24c",
  "2eETbo6CIN/u540+5DtMcuASFByyh7l5eY42eJ8xM9E4JgwIMy87QoS7qxFI4zmC",
  "5Shj9RjNoTwJuiRbAgSxM82mT5SsOzrujWKlv8Kk8GcALtKcTuEvsyy0nfBhUoNF",
  "4rO93b40+o8o1WGf7WCELspp8OtXMUWGsdx6mbV5ELcnDcsFXpISvr3QvyGUjtXb",
  "Fy3Pv9th5SK6MZsJC2f2Z7tJbY7bRgwiILS65ADTeLLSYqmF3BiQ8XfUJDfNcqp0",
  "BNymndPvZD+3l/AnV2fzAPfuFVni6dKYPUKVvUofa6szM5DP0RHkAocCAwEAAaNT",
  "MFEwHQYDVR0OBBYEFHsgoA/O30sbrFjsHvaeA7WCXVU0MB8GA1UdIwQYMBaAFHsg",
  "oA/O30sbrFjsHvaeA7WCXVU0MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQEL",
  "BQADggEBAI2CjXmLk6vGydGe0j1pQjH9EV6IZxaE8OgE1EN/Mx+elo2dnTPkIXvj",
  "8SlRcwqAgrnUM0TXelk1DYcgv5PBzLmKeal5KKYubGGiztAZLtIsuBFNwZAhFg+j",
  "VhiDJihH8DuMj9Ucrppv4imQyuPKYz1BnqBgiUO72DDzNhnYkyl5SIuOak6rbp9f",
  "rzPzSFaGdCp7asMz0JaM6OmZ+V70GBC8KewkkZKeuH2URXwRjb6J1+6SC3cv9KT0",
  "xggqf52T20P9EZBjCOVw2GL5XlZYllnW8TfvvKH5CDKoMHjm+/GgW6cxKHUIpD3u",
  "848HYljC3DiBWoFzZBl2yQ+BP6xsJNc=",
  "-----END CERTIFICATE-----",
].join("\n");
