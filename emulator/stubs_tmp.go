package emulator

func (rq *request) changeFeed(c *container) error { return badRequest("change feed: not yet") }
func (rq *request) batch(c *container) error      { return badRequest("batch: not yet") }
