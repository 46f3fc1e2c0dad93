-- t-reload-unreadable-keeps-old: a reload runs as the -u user (as root the
-- helper gives -u nobody), so a policy that user cannot read -- the file,
-- or a directory on its path -- fails to reload: the log names the file
-- and the error, and mail is still judged by the old policy.  Making it
-- readable again and signalling takes effect.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")

local dir = H.tmp .. "/t-reload-unreadable-keeps-old.d"
os.execute("chmod -R u+rwx " .. H.quote(dir) .. " 2>/dev/null; rm -rf " .. H.quote(dir) .. " && mkdir -p " .. H.quote(dir) ..
	" && chmod 755 " .. H.quote(dir))
local policy = dir .. "/policy.yaml"
H.write(policy, H.read(H.policy("partners.yaml")))
local t = H.start("t-reload-unreadable-keeps-old", policy)

local FIXED = H.read(H.policy("partners.yaml")):gsub("authserv_id: mx.test",
	"authserv_id: mx.fixed")

-- judged_by - one tagged message; its authserv-id says which policy judged it
local function judged_by(authserv)
	local conn = H.open(t)
	H.connect(t, conn, "mx.tag.example", "198.51.100.52")
	H.helo(t, conn, "mx.tag.example", H.TLS12_RSA)
	H.message(t, conn, "<alice@tag.example>", "<bob@example.org>")
	H.check_tag(t, conn, authserv .. "; verdict=fail; partner=tagger; tls=TLSv1.2; " ..
		"cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag")
	mt.disconnect(conn)
end

-- The file itself unreadable (a new, valid policy behind mode 000).
H.write(policy, FIXED)
os.execute("chmod 000 " .. H.quote(policy))
H.signal(t, "USR1")
H.check_log(t, policy .. ": cannot read: Permission denied")
H.check_log(t, "reload of " .. policy .. " failed with 1 error(s); " ..
	"the previous policy stays in force")
judged_by("mx.test")

-- Readable file, but a directory on the path the user may not search.
os.execute("chmod 644 " .. H.quote(policy) .. " && chmod 700 " .. H.quote(dir))
if not H.root then
	-- Not root: the owner can always search a 700 directory; take it all.
	os.execute("chmod 000 " .. H.quote(dir))
end
H.signal(t, "USR1")
H.check(t, H.wait_count(t, "reload of " .. policy .. " failed", 2),
	"reload through an unsearchable directory not refused")
H.check(t, H.count(t, policy .. ": cannot read: Permission denied") == 2,
	"second refusal does not name the file and the error")
judged_by("mx.test")

-- Readable again: the reload takes effect.
os.execute("chmod 755 " .. H.quote(dir))
H.signal(t, "USR1")
H.check_log(t, "reloaded " .. policy)
judged_by("mx.fixed")
