package storetest

var settingsTests = []test{
	{name: "settings_base_url", fn: testBaseURLSetting},
}

// testBaseURLSetting: the base URL `serve` records is read back as written,
// the last one wins, and none recorded is "" (the CLI then refuses to make links).
func testBaseURLSetting(e *env) {
	// The suite's database is new and this subtest alone records one.
	if got := must(e.s.RecordedBaseURL(e.ctx))(e); got != "" {
		e.Errorf("RecordedBaseURL before any = %q, want \"\"", got)
	}
	for _, u := range []string{"https://id.example:9443/", "http://127.0.0.1:" + rnd()[:4]} {
		e.ok(e.s.RecordBaseURL(e.ctx, u), "RecordBaseURL")
		want := u
		if want[len(want)-1] == '/' {
			want = want[:len(want)-1]
		}
		if got := must(e.s.RecordedBaseURL(e.ctx))(e); got != want {
			e.Errorf("RecordedBaseURL = %q, want %q", got, want)
		}
	}
}
