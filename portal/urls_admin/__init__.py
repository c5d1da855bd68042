"""Administration URL modules, one per topic; ``portal.admin_urls`` includes them."""
