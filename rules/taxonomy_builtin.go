package rules

// builtinCategories are the categories the seed privacy policies name:
// "contact information: name, email address, phone number", "identity
// information: passport, drive license, or other government-issued
// identification", "credentials: usernames, passwords, and other
// authentication and security credential information", "payment
// information: credit card, bank account information", "demographic
// information: age, gender, country, and preferred language", "network
// activity: internet protocol (ip), browsing history", "device information
// (device identifier such as IMEI, MAC address; browser type and version)",
// location, cookies, and children's data.
//
// Field patterns follow taxonomy_match.go. A pattern written "det:pattern"
// also enables the context-gated detector det in fields it matches: a nine
// digit number is an SSN only in a field named like one.
//
// Deliberate omissions, each a name that is too often something else: "name"
// alone (product and company names; first_name, full_name and the like are
// listed), "login" (last_login is a time), "state" (order state), "id",
// "language" (of content; preferred_language is listed), "expiry" (of
// tokens; card_expiry is listed).
var builtinCategories = [numBuiltinCategories]struct {
	name      string
	fields    []string
	detectors []string
}{
	Contact: {"contact", []string{
		"email", "e mail", "mail", "email address", "mail address", "emails",
		"phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell", "cell phone", "fax", "msisdn",
		"first name", "last name", "full name", "given name", "family name", "middle name", "maiden name",
		"surname", "sur name", "display name", "legal name", "nickname", "nick name", "forename",
		"customer name", "contact name", "recipient name", "billing name", "shipping name", "person name",
		"contact", "contact info", "contact information", "contact details",
	}, []string{"email", "phone"}},

	Identity: {"identity", []string{
		"ssn:ssn", "ssn:social security", "ssn:social security number", "ssn:ss number",
		"national id", "national identity", "national identity number", "national insurance", "nino", "nin",
		"passport", "passport number", "passport id",
		"driver license", "drivers license", "driving license", "driver licence", "drivers licence",
		"driving licence", "dl number",
		"id card", "id card number", "identity card", "identity document", "id document", "id number",
		"document number", "government id", "gov id", "personal id", "personal number",
		"tax id", "tin", "taxpayer id", "tax number", "sin", "social insurance",
		"aadhaar", "pan card", "cpf", "nif", "nie", "dni", "bsn", "pesel", "personnummer", "steuer id",
		"birth certificate", "voter id", "residence permit", "visa number",
	}, []string{"ssn"}},

	Credentials: {"credentials", []string{
		"password*", "passwd*", "pwd*", "passphrase*", "pass phrase*", "passcode*", "pass code*",
		"secret*", "client secret", "api key*", "apikey*", "api secret*", "api token", "access key*",
		"private key*", "secret key*", "signing key*", "encryption key*", "master key*",
		"token", "tokens", "access token", "refresh token", "id token", "auth token", "bearer token",
		"session token", "csrf token", "xsrf token", "oauth token", "jwt",
		"otp", "one time password", "totp", "mfa code", "2fa code", "verification code", "pin", "pin code",
		"security answer", "security question answer", "recovery code*", "backup code*",
		"credential*", "auth", "authorization", "proxy authorization",
		"username", "user name", "login name", "login id", "user login",
	}, []string{"jwt", "bearer", "aws_access_key", "github_token", "slack_token", "stripe_key", "google_api_key", "private_key"}},

	Payment: {"payment", []string{
		"card", "card number", "credit card", "credit card number", "debit card", "cc number", "ccn", "pan",
		"cvv", "cvc", "cvv 2", "cvc 2", "csc", "card security code", "security code", "card verification*",
		"card expiry", "card expiration", "expiry date", "expiration date", "exp month", "exp year",
		"card holder", "cardholder", "cardholder name", "card holder name", "name on card",
		"iban", "bank account", "account number", "account no", "routing number", "sort code", "bsb",
		"bank details", "bank account details", "payment method", "payment details", "payment info",
	}, []string{"card", "iban"}},

	Demographic: {"demographic", []string{
		"birthdate:birthdate", "birthdate:birth date", "birthdate:date of birth", "birthdate:dob",
		"birthdate:birthday", "birthdate:born", "birthdate:born on", "birthdate:bday", "birthdate:geburtsdatum",
		"birth year", "year of birth", "age", "gender", "sex", "nationality", "citizenship",
		"ethnicity", "ethnic origin", "race", "religion", "marital status", "sexual orientation",
		"country", "country of residence", "preferred language", "native language", "mother tongue",
		"!max age", "!cache age", "!min age",
	}, []string{"birthdate"}},

	Network: {"network", []string{
		"ip", "ip address", "ipv 4", "ipv 6", "ip 4", "ip 6", "ipv 4 address", "ipv 6 address",
		"remote addr", "remote address", "remote ip", "client ip", "source ip", "x forwarded for",
		"forwarded for", "x real ip", "true client ip", "cf connecting ip",
		"mac", "mac address", "hostname", "host name",
		"browsing history", "search history", "referrer", "referer", "visited urls",
	}, []string{"ipv4", "ipv6", "mac"}},

	Device: {"device", []string{
		"device*", "imei", "imsi", "meid", "idfa", "idfv", "gaid", "aaid", "advertising id", "ad id",
		"android id", "udid", "serial number", "hardware id", "user agent", "browser*", "os version",
		"operating system*", "push token", "fcm token", "apns token", "screen resolution",
	}, nil},

	Location: {"location", []string{
		"address", "street", "street address", "address line", "house number", "city", "town",
		"postcode", "post code", "postal code", "zip", "zip code", "zipcode",
		"lat", "latitude", "lng", "lon", "longitude", "geo", "geolocation", "geo location",
		"coordinates", "coords", "location", "gps", "country", "province", "county", "region",
		"time zone", "timezone",
	}, nil},

	Cookies: {"cookies", []string{
		"cookie", "set cookie", "session", "session id", "ga", "fbp", "fbc",
		"gclid", "fbclid", "msclkid", "tracking id", "visitor id", "anonymous id", "anon id",
		"fingerprint", "device fingerprint", "ajs anonymous id",
	}, nil},

	Children: {"children", []string{
		"child*", "children*", "kid*", "kids*", "minor*", "dependent*", "dependant*",
		"guardian*", "parental consent*", "parent consent*", "is minor", "under 13", "under 16", "coppa*",
	}, nil},
}
