-- t-tls12-ecdhe-pass: TLS 1.2 with ECDHE key exchange is forward secret:
-- the partner that rejects anything less lets it through, tagged "pass".
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")
local t = H.start("t-tls12-ecdhe-pass", H.policy("partners.yaml"))
local conn = H.open(t)

H.connect(t, conn, "mx.reject.example", "198.51.100.16")
H.helo(t, conn, "mx.reject.example", H.TLS12_ECDHE)
H.message(t, conn, "<alice@reject.example>", "<bob@example.org>")
H.check_tag(t, conn, "mx.test; verdict=pass; partner=rejecter; tls=TLSv1.2; " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes; reasons=-; action=accept")
H.check_log(t, "partner=rejecter selector=sender_domains:reject.example tls=TLSv1.2 " ..
	"cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 pfs=yes verdict=pass reasons=- action=accept")

mt.disconnect(conn)
