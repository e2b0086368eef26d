package org.xcam.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.Ids;
import org.xcam.api.Options;
import org.xcam.api.UnknownNameException;
import org.xcam.api.spi.MetricProvider;

class ProvidersTest {
  static List<MetricProvider> all() {
    return ServiceLoader.load(MetricProvider.class).stream().map(ServiceLoader.Provider::get).toList();
  }

  @Test @DisplayName("every metric of the issue is registered through ServiceLoader under its id")
  void registered() {
    TreeSet<String> names = new TreeSet<>();
    for (MetricProvider p : all()) names.add(p.name());
    assertThat(names).contains("iou-energy-95", "iou-energy-90", "iou-energy-85", "iou-energy-80", "iou-energy-75",
        "iou-threshold", "dice-threshold", "pointing-game", "energy-in-box", "judd-auc", "sim", "cc", "nss",
        "insertion", "deletion", "average-drop", "average-increase", "saliency-zone-drop", "saliency-zone-increase",
        "context-zone-drop", "context-zone-increase", "sensitivity-n", "road-morf", "road-lerf",
        "explanation-map-right", "explanation-map-confidence", "severity-pearson");
  }

  @Test @DisplayName("each provider declares a valid id, a description, a range with min <= max, needs and option defaults that parse")
  void declared() {
    for (MetricProvider p : all()) {
      assertThat(Ids.valid(p.name())).as(p.name()).isTrue();
      assertThat(p.description()).as(p.name()).isNotBlank();
      assertThat(p.range().min()).as(p.name()).isLessThanOrEqualTo(p.range().max());
      assertThat(p.needs()).as(p.name()).isNotNull();
      assertThat(p.create(Options.defaults(p.name(), p.options()))).as(p.name()).isNotNull();
    }
  }

  @Test @DisplayName("directions: deletion and MoRF lower is better; insertion, LeRF, IoU higher; context drop higher, context increase lower")
  void directions() {
    assertThat(new Faithfulness.Deletion().range().higherIsBetter()).isFalse();
    assertThat(new Faithfulness.RoadMorf().range().higherIsBetter()).isFalse();
    assertThat(new Faithfulness.Insertion().range().higherIsBetter()).isTrue();
    assertThat(new Faithfulness.RoadLerf().range().higherIsBetter()).isTrue();
    assertThat(new Faithfulness.AverageDrop().range().higherIsBetter()).isFalse();
    assertThat(new Faithfulness.AverageIncrease().range().higherIsBetter()).isTrue();
    assertThat(new Faithfulness.ContextZoneDrop().range().higherIsBetter()).isTrue();
    assertThat(new Faithfulness.ContextZoneIncrease().range().higherIsBetter()).isFalse();
    assertThat(new Localisation.IouEnergy90().range().higherIsBetter()).isTrue();
  }

  @Test @DisplayName("an unknown option names the known ones")
  void unknownOption() {
    MetricProvider p = new Faithfulness.Insertion();
    assertThatThrownBy(() -> Options.of("metric insertion", p.options(), Map.of("stpes", "3")))
        .isInstanceOf(UnknownNameException.class).hasMessageContaining("steps").hasMessageContaining("baseline");
  }
}
