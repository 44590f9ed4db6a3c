#!/usr/bin/env python3
"""Screenshots of pages as a user sees them, at desk and phone width.

Usage: scripts/screenshots.py BASE_URL USER PASSWORD OUT_DIR PATH [PATH ...]
Signs in as USER through the login form with headless Chromium (Debian's
chromium and chromium-driver; `pip install selenium`) and saves each PATH at
1366 px and 390 px wide as OUT_DIR/<user>-<name>-<width>.png, full height.
"""
import os
import re
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def browser(width):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},900"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    base, user, password, out, *paths = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    for width in (1366, 390):
        driver = browser(width)
        try:
            driver.get(base + "/login")
            driver.find_element(By.NAME, "username").send_keys(user)
            driver.find_element(By.NAME, "password").send_keys(password)
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            # Wait until the sign-in has gone through before opening pages.
            WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)
            for path in paths:
                driver.get(base + path)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(width, min(max(height, 600), 6000))
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                target = os.path.join(out, f"{user}-{name}-{width}.png")
                driver.save_screenshot(target)
                print(target)
                driver.set_window_size(width, 900)
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
