def echo(value="pong"):
    return value
