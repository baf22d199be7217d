package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for key, want := range map[string]string{
		"email":            "email",
		"emailAddress":     "email address",
		"EMAIL_ADDR":       "email addr",
		"e-mail":           "e mail",
		"EMail":            "e mail",
		"IPAddress":        "ip address",
		"remoteIP":         "remote ip",
		"userIPv6":         "user ipv 6",
		"IDs":              "ids",
		"HTTPServer2":      "http server 2",
		"address_line_2":   "address line 2",
		"x-forwarded-for":  "x forwarded for",
		"customer.email":   "customer email",
		"  __ ":            "",
		"Straße":           "straße",
		"\u212aey":         "key", // Kelvin sign folds to k
		"dateOfBirth":      "date of birth",
		"SSNs":             "ssns",
		"postal code (UK)": "postal code uk",
	} {
		buf, spans := splitWords(key, nil, nil)
		var words []string
		for _, s := range spans {
			words = append(words, string(buf[s.start:s.end]))
		}
		if got := strings.Join(words, " "); got != want {
			t.Errorf("splitWords(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestFieldCategories(t *testing.T) {
	tx := NewTaxonomy()
	for _, c := range []struct {
		keys string // space-separated
		want string // category names, comma-separated; "" for none
	}{
		{"email emailAddress email_address e-mail E_MAIL customerEmail EMAIL_ADDR primaryEmail emails Emails billing_email email2 emailaddress", "contact"},
		{"phone phoneNumber phone_number mobilePhone telephone phonenumber PHONE_NO cell firstName last_name FULLNAME surname", "contact"},
		{"emailVerified email_verified_at emailTemplate email_opt_in phoneVerified", ""},
		{"ip ipAddress ip_address client_ip remoteIP IPv4 ipv6Address x-forwarded-for mac_address macAddress ips hostname", "network"},
		{"ship shipping description recipient tip zip_file skip relationship", ""},
		{"zip zipcode zip_code postal_code postcode PostCode street addressLine1 billing_address city latitude lng geo", "location"},
		{"country country_code", "demographic,location"},
		{"ssn SSN social_security_number passport passportNumber driver_license drivingLicence national_id taxId", "identity"},
		{"password newPassword password_hash password_confirmation passwd pwd secret client_secret apiKey api_key x-api-key access_token refreshToken token otp username user_name private_key privateKeyPem authorization", "credentials"},
		{"token_type tokenExpiresIn last_login login_count", ""},
		{"card cardNumber card_number credit_card_number cvv CVC iban IBAN bank_account account_number sort_code cardholder_name", "payment"},
		{"dob DOB birthdate birth_date dateOfBirth date_of_birth birthday age gender nationality ethnicity", "demographic"},
		{"max_age maxAge cache_age page usage image message", ""},
		{"device device_id deviceId deviceModel imei idfa advertising_id user_agent userAgent browser browserVersion os_version", "device"},
		{"cookie cookies session_id sessionId gclid fbclid visitor_id anonymousId", "cookies"},
		{"child children childName kids minor is_minor dependents guardian_name", "children"},
		{"id order_id sku price currency quantity created_at status name product_name company_name language", ""},
		// A name may hold several patterns, each word in one of them.
		{"devicePassword deviceApiKey device_secret", "credentials,device"},
		{"childPassword guardian_pin kidsToken", "credentials,children"},
		{"emailAddress EMAIL_ADDRESS", "contact"},
		{"browserSecret passwordDevice", "credentials,device"},
	} {
		for _, k := range strings.Fields(c.keys) {
			got := strings.Join(tx.Names(tx.FieldCategories(k)), ",")
			if got != c.want {
				t.Errorf("FieldCategories(%q) = %q, want %q", k, got, c.want)
			}
		}
	}
}

func TestFieldContextEnablesDetectors(t *testing.T) {
	tx := NewTaxonomy()
	for key, d := range map[string]Detector{"dob": detBirthDate, "dateOfBirth": detBirthDate, "ssn": detSSN, "SSN_number": detSSN} {
		if !tx.Field(key).context.has(d) {
			t.Errorf("Field(%q) does not enable %s", key, d)
		}
	}
	if tx.Field("age").context != 0 || tx.Field("created_at").context != 0 {
		t.Error("a field that is no birth date or SSN enables a context-gated detector")
	}
}

func TestTaxonomyExtend(t *testing.T) {
	tx := NewTaxonomy()
	if err := tx.Extend("demographic", []string{"geburtsdatum"}, []string{"birthdate"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Extend("health", []string{"diagnosis", "blood_type", "medical*", "!medical_device_type"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Extend("contact", []string{"whatsapp"}, nil); err != nil {
		t.Fatal(err)
	}
	health, ok := tx.Category("health")
	if !ok || tx.Name(health) != "health" || health != numBuiltinCategories {
		t.Fatalf("health is category %d %q", health, tx.Name(health))
	}
	for key, want := range map[string]string{
		"diagnosis": "health", "bloodType": "health", "medical_history_notes": "health", "medicalDeviceType": "",
		"whatsappNumber": "contact", "email": "contact", "Geburtsdatum": "demographic",
	} {
		if got := strings.Join(tx.Names(tx.FieldCategories(key)), ","); got != want {
			t.Errorf("after Extend, FieldCategories(%q) = %q, want %q", key, got, want)
		}
	}
	if !tx.Field("geburtsdatum").context.has(detBirthDate) {
		t.Error("a pattern added with the birthdate detector does not enable it")
	}
	if f, ok := tx.Scanner(allCategories).Match("05.06.1987", tx.Field("geburtsdatum")); !ok || f.Detector != detBirthDate {
		t.Error("the birthdate detector does not fire in the added field")
	}
	// A new category with a detector reports the detector's findings.
	if err := tx.Extend("login_ids", nil, []string{"email"}); err != nil {
		t.Fatal(err)
	}
	logins, _ := tx.Category("login_ids")
	f, ok := tx.Scanner(CategorySet(0).With(logins)).Match("jane@example.com", Field{})
	if !ok || !f.Categories.Has(logins) || f.Categories.Has(Contact) {
		t.Errorf("login_ids scanner: %+v %v", f, ok)
	}
	if got := tx.DetectorsOf(logins); !slices.Equal(got, []string{"email"}) {
		t.Errorf("DetectorsOf(login_ids) = %q", got)
	}
}

func TestTaxonomyExtendErrors(t *testing.T) {
	tx := NewTaxonomy()
	before := tx.Categories()
	for _, c := range []struct {
		name     string
		patterns []string
		dets     []string
		want     string
	}{
		{"", nil, []string{"email"}, "want 1 to 32"},
		{"Health", []string{"x"}, nil, "lower-case"},
		{"9lives", []string{"x"}, nil, "lower-case"},
		{"health", nil, nil, "needs field patterns or detectors"},
		{"health", []string{"x"}, []string{"dna"}, `unknown detector "dna"`},
		{"health", []string{"med*ical"}, nil, "* may only end"},
		{"health", []string{"a!b"}, nil, "! may only start"},
		{"health", []string{"--"}, nil, "has no words"},
		{"health", []string{"a b c d e f g h i"}, nil, "at most 8"},
		{"contact", []string{"ok", "*"}, nil, "has no words"},
	} {
		err := tx.Extend(c.name, c.patterns, c.dets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Extend(%q, %q, %q) = %v, want an error with %q", c.name, c.patterns, c.dets, err, c.want)
		}
	}
	if !slices.Equal(tx.Categories(), before) || tx.FieldCategories("ok") != 0 {
		t.Error("a failed Extend changed the taxonomy")
	}
	for i := numBuiltinCategories; i < MaxCategories; i++ {
		if err := tx.Extend("c"+strings.Repeat("x", int(i)%30)+string(rune('a'+i%26)), []string{"f"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Extend("onetoomany", []string{"f"}, nil); err == nil || !strings.Contains(err.Error(), "at most 64") {
		t.Errorf("the 65th category: %v", err)
	}
}

func TestFieldCategoriesDoesNotAllocate(t *testing.T) {
	tx := NewTaxonomy()
	keys := []string{"email", "customerEmailAddress", "shipping_address_line_2", "X-Forwarded-For", "order_id", strings.Repeat("long_key_", 20)}
	for _, k := range keys {
		if n := testing.AllocsPerRun(100, func() { tx.FieldCategories(k) }); n != 0 {
			t.Errorf("FieldCategories(%q): %v allocations", k, n)
		}
	}
}
