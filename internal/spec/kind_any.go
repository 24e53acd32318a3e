package spec

// anyRuleHint is the fix for a rule, fields or items on type any, which
// carries any JSON value unchecked and so takes none.
func anyRuleHint(key string) string {
	switch key {
	case "fields":
		return "type any carries any JSON value unchecked; use type object to declare fields"
	case "items":
		return "type any carries any JSON value unchecked; use type array to declare items"
	}
	return "type any carries any JSON value unchecked and takes no rules; remove " + key
}
