package io.tuneserve.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import java.util.function.Consumer;

/** Calls back when a member leaves the cluster (shut down, or dead and noticed). */
final class MemberDepartures {
  private MemberDepartures() {}

  static void listen(HazelcastInstance hazelcast, Consumer<Member> left) {
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {}

              @Override
              public void memberRemoved(MembershipEvent event) {
                left.accept(event.getMember());
              }
            });
  }
}
