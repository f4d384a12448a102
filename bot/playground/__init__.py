"""The playground: a third platform in a web page, for trying the bot locally.

It serves when no Slack or Teams credentials are set (or with PLAYGROUND=1),
on 127.0.0.1, with a clock that can be moved forward. It never needs the
internet: the page is plain HTML, CSS and JavaScript served by the bot.
"""
