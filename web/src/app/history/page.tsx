import { AppShell } from "@/components/app-shell";
import { RequireUser } from "@/features/auth/components/require-user";
import { HistoryList } from "@/features/history/components/history-list";

export default function Page() {
  return (
    <AppShell>
      <RequireUser>
        <HistoryList />
      </RequireUser>
    </AppShell>
  );
}
