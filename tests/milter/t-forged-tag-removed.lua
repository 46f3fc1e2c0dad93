-- t-forged-tag-removed: copies of the tag header that arrive with the
-- message (in any case) are deleted at end of message, from the last one
-- up, and ours is inserted at the top: a sender cannot forge a pass.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-forged-tag-removed", H.policy("partners.yaml"))
local conn = H.open(t)
local forged = "mx.test; verdict=pass; partner=tagger; tls=TLSv1.3; " ..
	"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept"

H.connect(t, conn, "mx.tag.example", "198.51.100.20")
H.helo(t, conn, "mx.tag.example", H.TLS12_RSA)
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>", {
	{ "X-TLS-Policy", forged },
	{ "Subject", "hello" },
	{ "x-tls-policy", forged },
	{ "X-TLS-Policy-Note", "not ours: must stay" },
	{ "X-TLS-POLICY", forged },
})
for i = 1, 3 do
	H.check(t, mt.eom_check(conn, MT_HDRDELETE, "X-TLS-Policy", i),
		"forged copy " .. i .. " of X-TLS-Policy not deleted")
end
H.check(t, not mt.eom_check(conn, MT_HDRDELETE, "X-TLS-Policy", 4), "a fourth copy deleted")
H.check(t, not mt.eom_check(conn, MT_HDRDELETE, "X-TLS-Policy-Note"), "another header deleted")
H.check(t, not mt.eom_check(conn, MT_HDRADD), "header appended instead of inserted")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")

-- The count is per message: the next one has no copy to delete.
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check(t, not mt.eom_check(conn, MT_HDRDELETE), "a header deleted in a clean message")
mt.disconnect(conn)
