# The schema of a "next release", as a test fixture (make next): the schema
# given with one field added to Event and one to Household, each `string
# note` numbered one past the highest number its message uses, so it never
# takes a number that is in use.  test_upgrade runs linlid built from it
# beside linlid built from the schema as it is.
#
# Depth counts braces, so only a message's own fields (not those of an enum
# inside it) count towards its highest number.
function count_braces(line,    opens, closes) {
	opens = gsub(/\{/, "{", line)
	closes = gsub(/\}/, "}", line)
	return opens - closes
}
{
	if (depth == 0 && $1 == "message" && ($2 == "Event" || $2 == "Household")) {
		target = $2
		highest = 0
	}
	before = depth
	depth += count_braces($0)
	if (target != "" && before == 1 && match($0, /= *[0-9]+ *;/)) {
		n = substr($0, RSTART, RLENGTH)
		gsub(/[^0-9]/, "", n)
		if (n + 0 > highest)
			highest = n + 0
	}
	if (target != "" && before == 1 && depth == 0) {
		printf "  string note = %d; // added by tests/tools/next_schema.awk\n", highest + 1
		added[target] = 1
		target = ""
	}
	print
}
END {
	if (!added["Event"] || !added["Household"]) {
		print "next_schema.awk: message Event or Household not found" > "/dev/stderr"
		exit 1
	}
}
