package io.tuneserve.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.tuneserve.testing.TestServer;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser: Debian's Chromium, headless, driven through chromedriver. It
 * loads the page, classifies a dropped image and a chosen one, and trains a new model from the form
 * while the loss plot fills from the job's event stream.
 */
class ConsoleBrowserTest {
  private static final Path IMAGES = Path.of("src/test/resources/images").toAbsolutePath();
  private static TestServer server;
  private static WebDriver browser;
  private static Path profile;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer().withDemoModel().start();
    profile = Files.createTempDirectory("tuneserve-chromium");
    ChromeDriverService driver =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File("/usr/bin/chromedriver"))
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        "--user-data-dir=" + profile);
    browser = new ChromeDriver(driver, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    server.close();
    TestServer.deleteTree(profile);
  }

  /** Waits until the element shows the text; a timeout says what the page and the server saw. */
  private static void awaitText(String id, String text, int seconds) {
    try {
      new WebDriverWait(browser, Duration.ofSeconds(seconds))
          .until(ExpectedConditions.textToBePresentInElementLocated(By.id(id), text));
    } catch (TimeoutException e) {
      throw new AssertionError(
          "#" + id + " did not show \"" + text + "\" within " + seconds + " s\n" + pageState(), e);
    }
  }

  /**
   * The text of the element the selector finds, read again if the page re-rendered it between
   * finding and reading (the model list is redrawn when the registry changes).
   */
  private static String textOf(String css) {
    return new WebDriverWait(browser, Duration.ofSeconds(10))
        .ignoring(StaleElementReferenceException.class)
        .until(b -> b.findElement(By.cssSelector(css)).getText());
  }

  private static String pageState() {
    StringBuilder state = new StringBuilder();
    try {
      state
          .append("page: ")
          .append(
              ((JavascriptExecutor) browser)
                  .executeScript(
                      "return document.readyState + ' | console.js functions: ' + typeof refreshModels"
                          + " + ' | requests: ' + performance.getEntriesByType('resource')"
                          + ".map(r => r.name.replace(location.origin, '') + ' ' + r.responseStatus"
                          + " + ' ' + Math.round(r.duration) + 'ms').join(', ')"))
          .append('\n');
      for (LogEntry entry : browser.manage().logs().get(LogType.BROWSER)) {
        state.append("browser log: ").append(entry).append('\n');
      }
    } catch (RuntimeException e) {
      state.append("page state unavailable: ").append(e).append('\n');
    }
    try {
      HttpResponse<String> registry = server.client().get("/v2/registry");
      state.append("GET /v2/registry from the test: ").append(registry.statusCode()).append(' ');
      state.append(registry.body(), 0, Math.min(600, registry.body().length()));
    } catch (IOException | InterruptedException e) {
      state.append("GET /v2/registry from the test failed: ").append(e);
    }
    return state.toString();
  }

  @Test
  void listsModelsClassifiesImagesAndTrainsFromTheForm() throws Exception {
    browser.get("http://127.0.0.1:" + server.port() + "/");
    assertThat(browser.getCurrentUrl()).endsWith("/console/");
    awaitText("models", "fashion-convnet", 20);
    assertThat(textOf("#models [data-model='fashion-convnet']")).contains("v1");
    assertThat(browser.findElements(By.cssSelector("#models .node.AVAILABLE"))).isNotEmpty();

    // A file dropped on the drop zone (a synthetic drop event carrying a real PNG).
    String sneaker =
        Base64.getEncoder().encodeToString(Files.readAllBytes(IMAGES.resolve("sneaker.png")));
    ((JavascriptExecutor) browser)
        .executeScript(
            "const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));"
                + "const data = new DataTransfer();"
                + "data.items.add(new File([bytes], 'sneaker.png', {type: 'image/png'}));"
                + "document.getElementById('classify-drop')"
                + ".dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true}));",
            sneaker);
    awaitText("classify-result", "Sneaker", 20);
    assertThat(textOf("#classify-result .bar .label")).isEqualTo("Sneaker");

    // A file chosen with the file input.
    browser.findElement(By.id("classify-file")).sendKeys(IMAGES.resolve("trouser.png").toString());
    awaitText("classify-result", "Trouser", 20);

    // A new model from the fine-tuning form, followed live.
    browser.findElement(By.id("job-target")).sendKeys("console-shoes");
    new Select(browser.findElement(By.id("job-strategy"))).selectByValue("feature_extractor");
    WebElement epochs = browser.findElement(By.id("job-epochs"));
    epochs.clear();
    epochs.sendKeys("8");
    List<WebElement> rows = browser.findElements(By.cssSelector(".class-row"));
    rows.get(0).findElement(By.className("class-label")).sendKeys("footwear");
    rows.get(0)
        .findElement(By.className("class-files"))
        .sendKeys(files("sandal", "sneaker", "ankle-boot"));
    rows.get(1).findElement(By.className("class-label")).sendKeys("other");
    rows.get(1)
        .findElement(By.className("class-files"))
        .sendKeys(files("bag", "dress", "coat", "tshirt", "trouser", "pullover", "shirt"));
    browser.findElement(By.id("job-submit")).click();
    new WebDriverWait(browser, Duration.ofSeconds(120))
        .until(
            ExpectedConditions.or(
                ExpectedConditions.textToBe(By.id("job-state"), "SUCCEEDED"),
                ExpectedConditions.textToBe(By.id("job-state"), "FAILED")));
    assertThat(browser.findElement(By.id("job-state")).getText())
        .as(browser.findElement(By.id("job-detail")).getText())
        .isEqualTo("SUCCEEDED");
    assertThat(browser.findElement(By.id("job-detail")).getText())
        .contains("published console-shoes v1");
    assertThat(Integer.parseInt(browser.findElement(By.id("job-plot")).getAttribute("data-points")))
        .as("epochs plotted from the event stream")
        .isGreaterThanOrEqualTo(1);
    // The held-out split's confusion matrix: a row and a column per class, counts that add up to
    // the split, right answers on the diagonal.
    List<WebElement> header =
        browser.findElements(By.cssSelector("#job-evaluation tr:first-child th"));
    assertThat(header.stream().map(WebElement::getText))
        .containsExactly("true ↓ predicted →", "footwear", "other", "recall");
    List<WebElement> cells =
        browser.findElements(By.cssSelector("#job-evaluation td.right, #job-evaluation td.wrong"));
    assertThat(cells).hasSize(4);
    int counted = cells.stream().mapToInt(c -> Integer.parseInt(c.getText())).sum();
    assertThat(textOf("#job-evaluation .evaluation > .muted"))
        .startsWith("validation: " + counted + " examples, accuracy ");
    assertThat(counted).isPositive();
    assertThat(browser.findElements(By.cssSelector("#job-evaluation td.right"))).hasSize(2);
    awaitText("models", "console-shoes", 20);
    assertThat(textOf("[data-model='console-shoes'] .lineage"))
        .contains("fashion-convnet v1")
        .contains("feature_extractor");
    assertThat(textOf("[data-model='console-shoes'] .version-evaluation summary"))
        .isEqualTo("v1 confusion matrix (validation)");
    java.net.http.HttpResponse<String> labelled =
        server.post("/v1/models/console-shoes/labels/stable", "{\"version\": 1}");
    assertThat(labelled.statusCode()).as(labelled.body()).isEqualTo(200);
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .ignoring(StaleElementReferenceException.class)
        .until(
            b ->
                b.findElements(By.cssSelector("[data-model='console-shoes'] .pill.label")).stream()
                    .anyMatch(pill -> pill.getText().equals("stable")));

    new WebDriverWait(browser, Duration.ofSeconds(10))
        .ignoring(StaleElementReferenceException.class)
        .until(
            b -> {
              new Select(b.findElement(By.id("classify-model"))).selectByValue("console-shoes/1");
              return true;
            });
    browser.findElement(By.id("classify-file")).sendKeys(IMAGES.resolve("sneaker.png").toString());
    awaitText("classify-result", "console-shoes v1", 20);
    assertThat(textOf("#classify-result .bar .label")).isEqualTo("footwear");
  }

  private static String files(String... names) {
    StringBuilder paths = new StringBuilder();
    for (String name : names) {
      paths.append(paths.isEmpty() ? "" : "\n").append(IMAGES.resolve(name + ".png"));
    }
    return paths.toString();
  }
}
