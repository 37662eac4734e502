import type { SVGProps } from "react";

/** A handful of outline icons (24×24, stroke = currentColor), drawn here so nothing is fetched. */
function Icon({ d, ...rest }: SVGProps<SVGSVGElement> & { d: string }) {
  return (
    <svg aria-hidden viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" className="size-4" {...rest}>
      <path d={d} />
    </svg>
  );
}
type P = SVGProps<SVGSVGElement>;
export const PlayIcon = (p: P) => <Icon d="M7 5.5v13l11-6.5-11-6.5Z" {...p} />;
export const StopIcon = (p: P) => <Icon d="M7 7h10v10H7z" {...p} />;
export const RestartIcon = (p: P) => <Icon d="M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4" {...p} />;
export const DownloadIcon = (p: P) => <Icon d="M12 4v11m0 0-4-4m4 4 4-4M5 20h14" {...p} />;
export const PlusIcon = (p: P) => <Icon d="M12 5v14M5 12h14" {...p} />;
export const TrashIcon = (p: P) => <Icon d="M5 7h14M10 11v6m4-6v6M6 7l1 12h10l1-12M9 7V4h6v3" {...p} />;
export const SearchIcon = (p: P) => <Icon d="m20 20-4.5-4.5M17 10.5a6.5 6.5 0 1 1-13 0 6.5 6.5 0 0 1 13 0Z" {...p} />;
export const BookIcon = (p: P) => <Icon d="M5 4h10a4 4 0 0 1 4 4v12H9a4 4 0 0 1-4-4V4Zm0 12a4 4 0 0 1 4-4h10" {...p} />;
export const ChartIcon = (p: P) => <Icon d="M4 20V4m0 16h16M8 16v-5m4 5V8m4 8v-3" {...p} />;
export const UploadIcon = (p: P) => <Icon d="M12 20V9m0 0-4 4m4-4 4 4M5 4h14" {...p} />;
export const SparkIcon = (p: P) => <Icon d="M12 3v4m0 10v4M3 12h4m10 0h4M6 6l2.5 2.5M15.5 15.5 18 18M6 18l2.5-2.5M15.5 8.5 18 6" {...p} />;
export const EyeIcon = (p: P) => <Icon d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12Zm10 3a3 3 0 1 0 0-6 3 3 0 0 0 0 6Z" {...p} />;
export const PencilIcon = (p: P) => <Icon d="m4 20 4-1 11-11-3-3L5 16l-1 4Z" {...p} />;
export const GlobeIcon = (p: P) => <Icon d="M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm0 0c2.5-2.5 3.5-5.5 3.5-9S14.5 5.5 12 3m0 18c-2.5-2.5-3.5-5.5-3.5-9S9.5 5.5 12 3M3.5 9h17m-17 6h17" {...p} />;
