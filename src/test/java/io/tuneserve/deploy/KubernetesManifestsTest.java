package io.tuneserve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.hazelcast.config.Config;
import com.hazelcast.config.KubernetesConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.tuneserve.cluster.ClusterMember;
import io.tuneserve.config.ConfigLoader;
import io.tuneserve.config.ServerConfig;
import io.tuneserve.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest in k8s/ parsed into typed Kubernetes objects (fabric8's model), and the wiring
 * that makes them work checked against the server: probe paths it answers, ports its configuration
 * uses, the discovery service its Hazelcast configuration names, labels and selectors that agree.
 */
class KubernetesManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path K8S = Path.of("k8s");
  private static final List<HasMetadata> objects = new ArrayList<>();

  @BeforeAll
  static void parse() throws IOException {
    for (String file : resources(K8S.resolve("kustomization.yaml"))) {
      for (JsonNode document : documents(K8S.resolve(file))) {
        objects.add(typed(document));
      }
    }
  }

  private static List<String> resources(Path kustomization) throws IOException {
    List<String> resources = new ArrayList<>();
    YAML.readTree(kustomization.toFile()).get("resources").forEach(r -> resources.add(r.asText()));
    return resources;
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      return YAML.readValues(parser, JsonNode.class).readAll();
    }
  }

  private static HasMetadata typed(JsonNode document) throws IOException {
    Class<? extends HasMetadata> type =
        switch (document.get("kind").asText()) {
          case "ConfigMap" -> ConfigMap.class;
          case "Service" -> Service.class;
          case "StatefulSet" -> StatefulSet.class;
          case "PodDisruptionBudget" -> PodDisruptionBudget.class;
          case "NetworkPolicy" -> NetworkPolicy.class;
          case "PersistentVolumeClaim" -> PersistentVolumeClaim.class;
          default -> throw new AssertionError("unexpected kind " + document.get("kind"));
        };
    HasMetadata object = YAML.treeToValue(document, type);
    assertThat(object.getMetadata().getName()).isNotBlank();
    return object;
  }

  private static <T extends HasMetadata> T one(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
  }

  private static Service service(String name) {
    return objects.stream()
        .filter(o -> o instanceof Service && o.getMetadata().getName().equals(name))
        .map(Service.class::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no service " + name));
  }

  private static int port(Container container, String name) {
    return container.getPorts().stream()
        .filter(p -> p.getName().equals(name))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name));
  }

  private static String mountPath(Container container, String volume) {
    return container.getVolumeMounts().stream()
        .filter(m -> m.getName().equals(volume))
        .map(VolumeMount::getMountPath)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount of " + volume));
  }

  private static Container server(StatefulSet set) {
    return set.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    try (Stream<Path> files = Files.list(K8S)) {
      assertThat(
              files
                  .map(f -> f.getFileName().toString())
                  .filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml")))
          .containsExactlyInAnyOrderElementsOf(resources(K8S.resolve("kustomization.yaml")));
    }
    assertThat(objects).hasSize(7);
  }

  @Test
  void labelsAndSelectorsAgree() {
    StatefulSet set = one(StatefulSet.class);
    Map<String, String> podLabels = set.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(set.getSpec().getSelector().getMatchLabels());
    for (HasMetadata object : objects) {
      if (object instanceof Service service) {
        assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
        for (var port : service.getSpec().getPorts()) {
          port(server(set), port.getTargetPort().getStrVal());
        }
      }
    }
    PodDisruptionBudget budget = one(PodDisruptionBudget.class);
    assertThat(podLabels).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
    assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
  }

  @Test
  void onlyTuneservePodsReachTheClusterPorts() {
    StatefulSet set = one(StatefulSet.class);
    Map<String, String> podLabels = set.getSpec().getTemplate().getMetadata().getLabels();
    NetworkPolicy policy = one(NetworkPolicy.class);
    assertThat(podLabels).containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
    Map<String, Boolean> portIsPodOnly = new java.util.HashMap<>();
    for (var rule : policy.getSpec().getIngress()) {
      boolean podsOnly =
          rule.getFrom() != null
              && !rule.getFrom().isEmpty()
              && rule.getFrom().stream()
                  .allMatch(
                      peer ->
                          peer.getPodSelector() != null
                              && podLabels
                                  .entrySet()
                                  .containsAll(peer.getPodSelector().getMatchLabels().entrySet()));
      for (var port : rule.getPorts()) {
        port(server(set), port.getPort().getStrVal());
        portIsPodOnly.put(port.getPort().getStrVal(), podsOnly);
      }
    }
    assertThat(portIsPodOnly)
        .containsEntry("hazelcast", true)
        .containsEntry("eventbus", true)
        .containsEntry("http", false);
    assertThat(server(set).getPorts().stream().map(ContainerPort::getName).toList())
        .as("every container port is covered by the policy")
        .containsExactlyInAnyOrderElementsOf(portIsPodOnly.keySet());
  }

  @Test
  void theServerConfigurationMatchesTheContainer() throws Exception {
    StatefulSet set = one(StatefulSet.class);
    Container container = server(set);
    ConfigMap map = one(ConfigMap.class);
    PodSpec pod = set.getSpec().getTemplate().getSpec();
    String configVolume =
        pod.getVolumes().stream()
            .filter(v -> v.getConfigMap() != null)
            .findFirst()
            .orElseThrow()
            .getName();
    assertThat(
            pod.getVolumes().stream()
                .filter(v -> v.getName().equals(configVolume))
                .findFirst()
                .orElseThrow()
                .getConfigMap()
                .getName())
        .isEqualTo(map.getMetadata().getName());
    String configDirectory = mountPath(container, configVolume);
    assertThat(container.getArgs())
        .containsExactly("serve", "--config", configDirectory + "/tuneserve.yaml");

    String tokensVolume =
        pod.getVolumes().stream()
            .filter(v -> v.getSecret() != null)
            .findFirst()
            .orElseThrow()
            .getName();
    Path file = Files.createTempFile("tuneserve-k8s", ".yaml");
    Path tokens = Path.of(mountPath(container, tokensVolume), "tokens");
    try {
      String yaml = map.getData().get("tuneserve.yaml");
      assertThat(yaml).as("tokens on in the cluster").contains("tokens_file: " + tokens);
      // The tokens file exists only in a pod; check the rest of the file here.
      Files.writeString(file, yaml.replace("tokens_file: " + tokens, "tokens_file: \"\""));
      ServerConfig config = new ConfigLoader().load(file, Map.of(), Map.of());
      assertThat(config.http().port()).isEqualTo(port(container, "http"));
      assertThat(config.cluster().eventBusPort()).isEqualTo(port(container, "eventbus"));
      assertThat(config.http().host()).isEqualTo("0.0.0.0");
      assertThat(config.cluster().hazelcastConfig()).isEqualTo(configDirectory + "/hazelcast.yaml");
      String models =
          mountPath(
              container, set.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName());
      assertThat(config.models().directory()).isEqualTo(models);
      // Datasets on one volume every pod mounts: feedback reaching any node adds to one dataset.
      PersistentVolumeClaim datasets = one(PersistentVolumeClaim.class);
      assertThat(datasets.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
      String datasetsVolume =
          pod.getVolumes().stream()
              .filter(
                  v ->
                      v.getPersistentVolumeClaim() != null
                          && v.getPersistentVolumeClaim()
                              .getClaimName()
                              .equals(datasets.getMetadata().getName()))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no volume of the datasets claim"))
              .getName();
      assertThat(config.datasets().directory()).isEqualTo(mountPath(container, datasetsVolume));
    } finally {
      Files.deleteIfExists(file);
    }
    assertThat(container.getEnv())
        .anySatisfy(
            env -> {
              assertThat(env.getName()).isEqualTo("TUNESERVE_CLUSTER__HOST");
              assertThat(env.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
            });
    Map<String, Quantity> requests = container.getResources().getRequests();
    Map<String, Quantity> limits = container.getResources().getLimits();
    for (String resource : List.of("cpu", "memory")) {
      assertThat(Quantity.getAmountInBytes(limits.get(resource)))
          .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get(resource)));
    }
  }

  @Test
  void hazelcastDiscoversThePodsThroughTheHeadlessService() throws Exception {
    StatefulSet set = one(StatefulSet.class);
    ConfigMap map = one(ConfigMap.class);
    assertThat(map.getData().get("hazelcast.yaml"))
        .as("the ConfigMap carries conf/hazelcast-kubernetes.yaml unchanged")
        .isEqualTo(Files.readString(Path.of("conf/hazelcast-kubernetes.yaml")));
    Service headless = service(set.getSpec().getServiceName());
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();

    Config hazelcast =
        ClusterMember.hazelcastConfig(
            new ServerConfig.Cluster("conf/hazelcast-kubernetes.yaml", "", 0, "", "127.0.0.1", 0));
    KubernetesConfig kubernetes = hazelcast.getNetworkConfig().getJoin().getKubernetesConfig();
    assertThat(kubernetes.isEnabled()).isTrue();
    assertThat(kubernetes.getProperty("service-dns"))
        .startsWith(headless.getMetadata().getName() + ".");
    int memberPort = hazelcast.getNetworkConfig().getPort();
    assertThat(Integer.parseInt(kubernetes.getProperty("service-port"))).isEqualTo(memberPort);
    assertThat(headless.getSpec().getPorts().get(0).getPort()).isEqualTo(memberPort);
    assertThat(port(server(set), "hazelcast")).isEqualTo(memberPort);
  }

  @Test
  void theProbesAskPathsTheServerAnswers() throws Exception {
    Container container = server(one(StatefulSet.class));
    String ready = container.getReadinessProbe().getHttpGet().getPath();
    String live = container.getLivenessProbe().getHttpGet().getPath();
    assertThat(container.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(container.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    try (TestServer server = new TestServer().withDemoModel().start()) {
      assertThat(server.get(ready).statusCode()).isEqualTo(200);
      assertThat(server.get(live).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theGpuVariantAsksForAGpuAndTheGpuImage() throws IOException {
    assertThat(resources(K8S.resolve("gpu/kustomization.yaml"))).containsExactly("../");
    StatefulSet patch =
        YAML.readValue(K8S.resolve("gpu/statefulset-gpu.yaml").toFile(), StatefulSet.class);
    StatefulSet base = one(StatefulSet.class);
    assertThat(patch.getMetadata().getName()).isEqualTo(base.getMetadata().getName());
    Container gpu = server(patch);
    assertThat(gpu.getName()).isEqualTo(server(base).getName());
    assertThat(gpu.getResources().getLimits().get("nvidia.com/gpu")).isEqualTo(new Quantity("1"));
    assertThat(gpu.getImage()).isNotEqualTo(server(base).getImage());
    assertThat(patch.getSpec().getTemplate().getSpec().getInitContainers().get(0).getImage())
        .isEqualTo(gpu.getImage());
  }

  @Test
  void theImageHoldsWhatTheManifestsUse() throws IOException {
    String dockerfile = Files.readString(K8S.resolve("Dockerfile"));
    Container container = server(one(StatefulSet.class));
    assertThat(dockerfile)
        .contains("COPY target/tuneserve.jar")
        .contains("COPY models /opt/tuneserve/models")
        .containsPattern("EXPOSE .*\\b" + port(container, "http") + "\\b")
        .containsPattern("EXPOSE .*\\b" + port(container, "hazelcast") + "\\b")
        .contains("CMD [\"" + String.join("\", \"", container.getArgs()) + "\"]");
    Container seed =
        one(StatefulSet.class).getSpec().getTemplate().getSpec().getInitContainers().get(0);
    assertThat(String.join(" ", seed.getCommand())).contains("/opt/tuneserve/models/");
  }
}
