-- t-tag-partner: a partner whose action is "tag" gets its mail through,
-- tagged with the failure (TLS 1.2 with RSA key exchange: no PFS).  Also
-- checks what the milter negotiated: no body, no EOH, no reply to
-- CONNECT, HELO and headers, and no RCPT when no recipient selector exists.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-tag-partner", H.policy("partners.yaml"))
local conn = H.open(t)

for _, opt in ipairs({ "SMFIP_NOBODY", "SMFIP_NOEOH", "SMFIP_NODATA", "SMFIP_NOUNKNOWN",
	"SMFIP_NR_CONN", "SMFIP_NR_HELO", "SMFIP_NR_HDR", "SMFIP_NORCPT" }) do
	H.check(t, mt.test_option(conn, _G[opt]), "protocol option " .. opt .. " not negotiated")
end
for _, opt in ipairs({ "SMFIP_NOHDRS", "SMFIP_NOMAIL", "SMFIP_NOHELO", "SMFIP_NR_MAIL" }) do
	H.check(t, not mt.test_option(conn, _G[opt]), "protocol option " .. opt .. " negotiated")
end
for _, act in ipairs({ "SMFIF_ADDHDRS", "SMFIF_CHGHDRS", "SMFIF_QUARANTINE", "SMFIF_SETSYMLIST" }) do
	H.check(t, mt.test_action(conn, _G[act]), "action " .. act .. " not requested")
end
H.check(t, not mt.test_action(conn, SMFIF_CHGBODY), "body changes requested")

H.connect(t, conn, "mx.tag.example", "198.51.100.10")
H.helo(t, conn, "mx.tag.example", H.TLS12_RSA)
H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")
H.check(t, not mt.eom_check(conn, MT_QUARANTINE), "tagged mail must not be quarantined")
H.check_log(t, "4ABC123: tlspolicy: client=mx.tag.example[198.51.100.10] " ..
	"helo=mx.tag.example sender=<alice@tag.example> partner=tagger " ..
	"selector=sender_domains:tag.example tls=TLSv1.2 cipher=AES256-GCM-SHA384 " ..
	"bits=256 pfs=no verdict=fail reasons=no-pfs action=tag")

mt.disconnect(conn)
