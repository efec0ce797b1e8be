def base_url(request) -> str:
    """This site's root as the browser reached it, without the trailing slash: the base of the
    API examples and of signed output links."""
    return request.build_absolute_uri("/").rstrip("/")
