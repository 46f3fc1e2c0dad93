-- t-forged-tag-variants: forged tags in every spelling the milter may see
-- are removed, whoever they claim to come from: our authserv-id or
-- another, mixed case, a value folded over lines, an empty value.  The
-- message then carries exactly one tag, ours, inserted at the top.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-forged-tag-variants", H.policy("partners.yaml"))
local conn = H.open(t)
local pass = "verdict=pass; partner=tagger; tls=TLSv1.3; cipher=TLS_AES_256_GCM_SHA384; " ..
	"bits=256; pfs=yes; reasons=-; action=accept"

H.connect(t, conn, "mx.tag.example", "198.51.100.20")
H.helo(t, conn, "mx.tag.example", H.TLS12_RSA)
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>", {
	{ "X-Tls-Policy", "mx.test; " .. pass },
	{ "X-TLS-Policy", "other.example; " .. pass },
	{ "Received", "from mx.tag.example" },
	{ "x-TLS-policy", "mx.test;\r\n\tverdict=pass;\r\n\tpartner=tagger" },
	{ "X-TLS-POLICY", "" },
	{ "X-TLS-Policy-Forged", "mx.test; " .. pass },
	{ "X-TLS-Policy", " mx.test ; " .. pass },
})
for i = 1, 5 do
	H.check(t, mt.eom_check(conn, MT_HDRDELETE, "X-TLS-Policy", i),
		"forged copy " .. i .. " of X-TLS-Policy not deleted")
end
H.check(t, not mt.eom_check(conn, MT_HDRDELETE, "X-TLS-Policy", 6), "a sixth copy deleted")
H.check(t, not mt.eom_check(conn, MT_HDRDELETE, "X-TLS-Policy-Forged"),
	"a header that only starts with the tag's name was deleted")
H.check(t, not mt.eom_check(conn, MT_HDRDELETE, "Received"), "Received deleted")
H.check(t, not mt.eom_check(conn, MT_HDRADD), "header appended instead of inserted")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")
mt.disconnect(conn)
