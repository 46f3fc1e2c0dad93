mt.echo("placeholder")
