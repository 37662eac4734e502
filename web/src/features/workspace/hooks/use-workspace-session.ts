"use client";
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useReducer } from "react";
import { useTRPC } from "@/lib/trpc";
import { type SessionEvent, type WorkspaceState, applyEvent, initialState } from "../lib/apply-event";

type Action = { kind: "snapshot"; state: WorkspaceState } | { kind: "event"; event: SessionEvent };

function reducer(state: WorkspaceState | null, action: Action): WorkspaceState | null {
  if (action.kind === "snapshot") return action.state;
  return state ? applyEvent(state, action.event) : state;
}

/**
 * The session's snapshot (sessions.get) kept live by its event stream. The stream starts from the first
 * event and is resumed by tRPC with the last tracked id after a reconnect, so nothing is missed between
 * the snapshot and the subscription.
 */
export function useWorkspaceSession(sessionId: string) {
  const trpc = useTRPC();
  const session = useQuery(trpc.sessions.get.queryOptions({ sessionId }, { staleTime: Infinity }));
  const [state, dispatch] = useReducer(reducer, null);
  const loaded = session.data;

  useEffect(() => {
    // Seed once per session: later refetches (after a rename) must not roll live cells back.
    if (loaded && loaded.id === sessionId) dispatch({ kind: "snapshot", state: initialState(loaded) });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- seeded by identity of the session, not its refetches
  }, [loaded?.id, sessionId]);

  const subscription = useSubscription(
    trpc.sessions.events.subscriptionOptions(
      { sessionId, lastEventId: null },
      { enabled: Boolean(state), onData: (envelope) => dispatch({ kind: "event", event: envelope.data }) },
    ),
  );
  return { session, state, connection: subscription.status };
}
