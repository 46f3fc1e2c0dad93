-- t-quarantine-partner: a partner whose action is "quarantine" gets its
-- mail accepted, tagged, and held in the MTA's quarantine.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-quarantine-partner", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.quarantine.example", "198.51.100.13")
H.helo(t, conn, "mx.quarantine.example", H.TLS12_RSA)
H.message(t, conn, "<alice@quarantine.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=fail; partner=quarantiner; tls=TLSv1.2; " ..
	"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=quarantine")
H.check(t, mt.eom_check(conn, MT_QUARANTINE, "tlspolicy: partner=quarantiner reasons=no-pfs"),
	"message not quarantined with the expected reason")
H.check_log(t, "partner=quarantiner selector=sender_domains:quarantine.example " ..
	"tls=TLSv1.2 cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=fail " ..
	"reasons=no-pfs action=quarantine")

-- The same partner over TLS 1.3 passes: no quarantine.
local conn2 = H.open(t)
H.connect(t, conn2, "mx.quarantine.example", "198.51.100.13")
H.helo(t, conn2, "mx.quarantine.example", H.TLS13)
H.message(t, conn2, "<alice@quarantine.example>", "<bob@example.org>")
H.check(t, not mt.eom_check(conn2, MT_QUARANTINE), "passing mail quarantined")
H.check_tag(t, conn2, "mx.test; verdict=pass; partner=quarantiner; tls=TLSv1.3; " ..
	"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept")

mt.disconnect(conn)
mt.disconnect(conn2)
